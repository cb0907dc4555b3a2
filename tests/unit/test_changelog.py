"""metadata.txt's changelog is the latest CHANGELOG.md entry, so the plugin repository shows what changed."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _latest_entry() -> tuple[str, str]:
    """(version, summary) of the first ``## version`` section: its first paragraph."""
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    match = re.search(r"^## (\S+)[^\n]*\n+(.+?)(?:\n\n|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, "CHANGELOG.md has no '## <version>' entry"
    return match.group(1), " ".join(match.group(2).split())


def _metadata() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "metadata.txt", encoding="utf-8")
    return parser["general"]


def test_metadata_changelog_is_the_latest_entry() -> None:
    version, summary = _latest_entry()
    assert _metadata()["changelog"] == f"{version} {summary}"


def test_latest_entry_is_not_older_than_the_metadata_version() -> None:
    version, _ = _latest_entry()
    as_tuple = [int(part) for part in _metadata()["version"].split(".")]
    assert [int(part) for part in version.split(".")] >= as_tuple
