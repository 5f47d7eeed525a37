"""`innoff agenda show --format html|pdf`: the programme as a page, read back with the standard
library's HTML parser (not innoff's code): its language, headings, tables with
headers, machine-readable times, links that say where they go, and text from
the programme shown as text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from innoff_cli import programme_page


class Page(HTMLParser):
    """Tags with their attributes, and the text inside each element kind."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.open: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open, tag)  # well nested
        self.open.pop()

    def handle_data(self, data):
        if self.open and data.strip():
            self.text.setdefault(self.open[-1], []).append(data.strip())

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


def export(run, *args: str) -> Page:
    result = run("agenda", "show", "--format", "html", *args)
    assert result.exit_code == 0, result.stderr
    return Page(result.stdout)


def test_the_page_is_structured_for_every_reader(run):
    page = export(run)
    assert page.all("html") == [{"lang": "nb"}]
    assert page.text["h1"] == ["Program for INNOFF-studio og INNOFF Årsmøte"]
    assert page.text["h2"] == ["INNOFF-studio", "INNOFF Årsmøte"]
    assert page.all("a")[0] == {"class": "hopp", "href": "#program"}  # skip link first
    assert {"id": "program"} in page.all("main")
    scopes = [attrs.get("scope") for attrs in page.all("th")]
    assert scopes.count("col") % 3 == 0 and "row" in scopes
    assert page.all("caption") and page.text["caption"][0] == "Program for INNOFF-studio"
    times = [attrs["datetime"] for attrs in page.all("time")]
    assert "2020-11-17T10:00:00+01:00" in times
    assert "(pause)" in " ".join(page.text["td"]) or "Pause" in " ".join(page.text["td"])
    assert not page.all("script")


def test_programme_text_is_text_and_links_say_where_they_go(run, tmp_path):
    assert (
        run("agenda", "event", "studio", "--title", "<script>alert(1)</script> & Co").exit_code == 0
    )
    assert (
        run("agenda", "event", "studio", "--join-url", "https://neon.example/j?a=1&b=2").exit_code
        == 0
    )
    assert (
        run("agenda", "event", "studio", "--recording-url", "https://video.example/x").exit_code
        == 0
    )
    target = tmp_path / "program.html"
    result = run("agenda", "show", "--format", "html", "--event", "studio", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o644  # a page to publish
    text = target.read_text(encoding="utf-8")
    page = Page(text)
    assert not page.all("script") and "<script>alert" not in text
    assert page.text["h2"] == ["<script>alert(1)</script> & Co"]
    links = {attrs["href"]: attrs for attrs in page.all("a")}
    assert "https://neon.example/j?a=1&b=2" in links and "https://video.example/x" in links
    assert "Se opptaket av <script>alert(1)</script> & Co" in page.text["a"]


def test_only_web_addresses_become_links():
    assert programme_page._link("javascript:alert(1)", "Bli med") == "Bli med: javascript:alert(1)"
    assert programme_page._link("https://x.example/?a=<b>", "Se").startswith(
        '<a href="https://x.example/?a=&lt;b&gt;">'
    )


def test_the_pdf_is_tagged_and_reads_back(run, tmp_path):
    """Written by WeasyPrint (innoff[pdf]), read by pypdf: PDF/UA's marks, the
    language, the title, and the programme's text."""
    import pypdf

    target = tmp_path / "program.pdf"
    result = run("agenda", "show", "--format", "pdf", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    reader = pypdf.PdfReader(target)
    assert len(reader.pages) == 1 and "(1 page)" in result.stderr  # the 2020 programme on one A4
    assert [round(float(x)) for x in reader.pages[0].mediabox[2:]] == [595, 842]  # A4 in points
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "nb" and bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root  # tagged: headings and tables for screen readers
    assert reader.metadata.title == "Program for INNOFF-studio og INNOFF Årsmøte"
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "tirsdag 17. november 2020" in text and "INNOFF Årsmøte" in text


def test_without_weasyprint_the_pdf_is_one_line_saying_so(run, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    result = run("agenda", "show", "--format", "pdf", "-o", str(tmp_path / "p.pdf"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the PDF is made by WeasyPrint, which is not installed")
    assert not (tmp_path / "p.pdf").exists()


def test_every_break_row_says_it_is_a_break(run):
    page = export(run)
    text = run("agenda", "show", "--format", "html").stdout
    breaks = [line for line in text.splitlines() if line.startswith('<tr class="pause">')]
    assert breaks and all("pause" in line.split("<td>")[1].casefold() for line in breaks)
    assert page.all("html")  # parsed whole


def test_page_options_belong_to_the_page(run):
    result = run("agenda", "show", "-o", "x.html")
    assert (
        result.exit_code == 2
        and "--output and --title are for --format html or pdf" in result.stderr
    )


INTEROP = Path(__file__).resolve().parent / "interop"


@pytest.mark.skipif(
    shutil.which("node") is None or not (INTEROP / "node_modules" / "axe-core").is_dir(),
    reason="needs Node.js with axe-core and jsdom (.ci/run installs them from npm)",
)
def test_axe_core_finds_no_wcag_21_a_or_aa_violation(run, tmp_path):
    """Deque's axe-core, the engine of most accessibility checkers, in jsdom."""
    assert run("agenda", "event", "studio", "--join-url", "https://neon.example/j").exit_code == 0
    target = tmp_path / "program.html"
    assert run("agenda", "show", "--format", "html", "-o", str(target)).exit_code == 0
    done = subprocess.run(["node", str(INTEROP / "axe_check.js"), str(target)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["violations"] == [] and found["passes"] >= 10
    # jsdom cannot compute colours: contrast is left to the test below.
    assert {rule["id"] for rule in found["incomplete"]} <= {"color-contrast"}


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_every_colour_of_the_page_has_aa_contrast_on_white():
    """WCAG 1.4.3 (text, 4.5:1) and 1.4.11 (borders, focus: 3:1), computed from
    the page's own stylesheet."""
    colours = set(re.findall(r"#[0-9a-fA-F]{6}", programme_page.STYLE)) - {"#ffffff"}
    assert colours
    for colour in colours:
        ratio = (1.05) / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, (colour, round(ratio, 2))
