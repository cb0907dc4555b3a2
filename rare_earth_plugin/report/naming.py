"""Turning user-supplied names into file names, and checking output paths before any work is done.

Area names come from attribute tables and may hold anything; output paths come from users and dialogs. Only
characters every common file system accepts are let through, so a report written on Linux can be copied to
Windows or a USB stick unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import ReportError

#: Characters Windows, macOS or Linux file systems refuse in a file name (control characters are added below).
REFUSED_CHARACTERS = '<>:"/\\|?*'
_REFUSED = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED_STEMS = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
#: Bytes kept of a name: well under the 255-byte limit of ext4, NTFS and APFS, leaving room for suffixes.
MAX_NAME_BYTES = 120


def safe_file_stem(name: str, fallback: str = "area") -> str:
    """A file-name stem made from ``name``: refused characters and blanks become ``_``; never empty."""
    text = unicodedata.normalize("NFC", str(name))
    text = _REFUSED.sub("_", text)
    text = re.sub(r"\s+", "_", text)
    text = re.sub(r"_+", "_", text).strip("._ ")
    encoded = text.encode("utf-8")[:MAX_NAME_BYTES]
    text = encoded.decode("utf-8", errors="ignore").rstrip("._ ")
    if not text:
        return fallback
    if text.split(".")[0].upper() in _RESERVED_STEMS:
        text = f"{text}_"
    return text


def unique_stems(names: Iterable[str], fallback: str = "area") -> list[str]:
    """``safe_file_stem`` of each name, with ``_2``, ``_3``... added where two would collide."""
    seen: set[str] = set()
    stems = []
    for name in names:
        stem = base = safe_file_stem(name, fallback)
        number = 1
        while stem.lower() in seen:  # case-insensitive file systems would merge them
            number += 1
            stem = f"{base}_{number}"
        seen.add(stem.lower())
        stems.append(stem)
    return stems


def check_output_file(path: str | Path, suffix: str, parameter: str = "output file") -> Path:
    """The absolute output path with ``suffix`` added if missing; a ``ReportError`` naming what is wrong.

    Checks the name and the folder, so a long export does not fail at its last step.
    """
    text = str(path).strip() if path is not None else ""
    if not text:
        raise ReportError(f"{parameter}: no file name given")
    target = Path(text).expanduser()
    if target.is_dir():  # checked before a suffix is added: "out" must not become "out.pdf" beside it
        raise ReportError(
            f"{parameter}: '{target}' is a folder; give a file name, such as '{target / ('report' + suffix)}'"
        )
    if target.suffix.lower() != suffix.lower():
        target = target.with_name(target.name + suffix)
    name = target.name
    bad = sorted(set(_REFUSED.findall(name)))
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise ReportError(
            f"{parameter}: the file name '{name}' contains characters file systems refuse "
            f"({shown}); avoid {REFUSED_CHARACTERS} and control characters"
        )
    stem = name[: -len(suffix)] if suffix else name
    if not stem.strip(". "):
        raise ReportError(f"{parameter}: '{name}' has no file name before '{suffix}'")
    if stem.split(".")[0].upper() in _RESERVED_STEMS or name != name.rstrip(". "):
        raise ReportError(f"{parameter}: '{name}' is a name Windows reserves or refuses; choose another")
    if len(name.encode("utf-8")) > 2 * MAX_NAME_BYTES:
        raise ReportError(f"{parameter}: the file name '{name[:40]}…' is too long")
    folder = target.parent.resolve()
    if not folder.is_dir():
        raise ReportError(f"{parameter}: the folder '{folder}' does not exist")
    if target.exists() and target.is_dir():
        raise ReportError(f"{parameter}: '{target}' is a folder, not a file")
    return folder / name
