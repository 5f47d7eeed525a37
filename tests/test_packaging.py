"""The package's metadata, as an installer or a package index reads it."""

from __future__ import annotations

import importlib.metadata

from tests.conftest import REPO


def test_the_metadata_says_what_a_published_tool_says():
    metadata = importlib.metadata.metadata("innoff")
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert "Apache License" in (REPO / "LICENSE").read_text(encoding="utf-8")[:200]
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["Author-email"] == "INNOFF <post@innoff.no>"
    assert "Homepage, https://www.innoff.no" in metadata.get_all("Project-URL")
    classifiers = metadata.get_all("Classifier")
    assert (
        "Environment :: Console" in classifiers and "Natural Language :: Norwegian" in classifiers
    )
    requires = metadata.get_all("Requires-Dist")
    # A next major of python-dateutil may change what parse() accepts: bounded.
    assert any(r.startswith("python-dateutil") and "<5" in r for r in requires), requires
    # The sign-in libraries are extras, never what `pip install innoff` brings.
    base = [r for r in requires if "extra ==" not in r]
    assert not any(r.startswith(("msal", "google-auth-oauthlib", "keyring")) for r in base)
    assert set(metadata.get_all("Provides-Extra")) >= {"microsoft", "google", "pdf", "test"}
    assert not any(r.startswith("weasyprint") for r in base)  # the PDF is an extra too


def test_the_console_script_is_innoff():
    (script,) = [
        entry for entry in importlib.metadata.entry_points(group="console_scripts")
        if entry.name == "innoff"
    ]  # fmt: skip
    assert script.value == "innoff_cli.cli:main"
