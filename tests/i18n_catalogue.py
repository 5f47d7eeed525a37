"""The message catalogue: what innoff's code asks to translate, and the
Norwegian catalogue compiled. Run it after changing messages:

    python tests/i18n_catalogue.py            # list messages missing from the catalogue
    python tests/i18n_catalogue.py --compile  # innoff.po -> innoff.mo (Babel, a test extra)

Messages are the string literals given to `_()`, `N_()` and `ngettext()`, the
headers of `Column(...)` and `Field(...)` (tables translate their headers), and
the docstrings of commands (their help).
"""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "innoff_cli"
CATALOGUE = PACKAGE / "locale" / "nb" / "LC_MESSAGES" / "innoff.po"


def messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for path in sorted((PACKAGE / "cli").glob("*.py")):  # commands' docstrings are their help
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "attr", "") in ("command", "callback")
                for d in node.decorator_list
            ):
                doc = ast.get_docstring(node)
                if doc:
                    found.add(doc)
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            texts = [a.value for a in node.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str)]  # fmt: skip
            if name in ("_", "N_") and texts:
                found.add(texts[0])
            elif name == "ngettext" and len(texts) >= 2:
                found.add((texts[0], texts[1]))
            elif name in ("Column", "Field") and len(node.args) >= 2:
                header = node.args[1]
                if isinstance(header, ast.Constant) and isinstance(header.value, str):
                    if header.value:
                        found.add(header.value)
    return found


def read():
    from babel.messages.pofile import read_po

    with CATALOGUE.open("rb") as stream:
        return read_po(stream, locale="nb", domain="innoff")


def compiled() -> bytes:
    from babel.messages.mofile import write_mo

    out = io.BytesIO()
    write_mo(out, read(), use_fuzzy=False)
    return out.getvalue()


if __name__ == "__main__":
    if sys.argv[1:] == ["--compile"]:
        CATALOGUE.with_suffix(".mo").write_bytes(compiled())
    else:
        catalogue = read()
        for message in sorted(messages(), key=str):
            if catalogue.get(message if isinstance(message, str) else message[0]) is None:
                print(repr(message))
