"""A small PDF check without a PDF library: the file ends in a trailer whose cross-reference offset is right,
and it holds the expected number of pages.

``QgsLayoutExporter.exportToPdf`` reports success even when the disk filled up half-way, so a report is only
moved into place after this check. Qt writes plain objects; object streams (PDF 1.5) are inflated and searched
too, so PDFs from other writers pass as well.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm.*?stream\r?\n", re.DOTALL)
#: The end of a PDF is read from its last bytes: "startxref", the offset and "%%EOF" are a few dozen bytes.
TAIL_BYTES = 2048


class PdfCheckError(ValueError):
    """The file is not a complete PDF; the message says what is missing, for the user."""


def _object_streams(data: bytes) -> list[bytes]:
    streams = []
    for match in _OBJECT_STREAM.finditer(data):
        end = data.find(b"endstream", match.end())
        if end < 0:
            raise PdfCheckError("an object stream is cut off")
        try:
            streams.append(zlib.decompress(data[match.end() : end].rstrip(b"\r\n")))
        except zlib.error:
            raise PdfCheckError("an object stream cannot be read") from None
    return streams


def page_count(data: bytes) -> int:
    """Page objects in the PDF (``/Type /Page``, not ``/Pages``), object streams included."""
    return len(_PAGE.findall(data)) + sum(len(_PAGE.findall(stream)) for stream in _object_streams(data))


def check_pdf_bytes(data: bytes, expected_pages: int | None = None) -> int:
    """Raise ``PdfCheckError`` unless ``data`` is a whole PDF (with ``expected_pages``); returns the page count."""
    if not data.startswith(b"%PDF-"):
        raise PdfCheckError("it does not start like a PDF")
    tail = _STARTXREF.search(data[-TAIL_BYTES:])
    if tail is None:
        raise PdfCheckError("it ends before its trailer (%%EOF), so it was cut off")
    offset = int(tail.group(1))
    if offset >= len(data):
        raise PdfCheckError("its cross-reference table lies beyond the end of the file")
    section = data[offset : offset + 64]
    if not (section.startswith(b"xref") or re.match(rb"\d+\s+\d+\s+obj", section)):
        raise PdfCheckError("its cross-reference table is not where the trailer says")
    if section.startswith(b"xref") and b"trailer" not in data[offset:]:
        raise PdfCheckError("it has no trailer")
    pages = page_count(data)
    if expected_pages is not None and pages != expected_pages:
        raise PdfCheckError(f"it has {pages} pages instead of {expected_pages}")
    return pages


def check_pdf(path: Path, expected_pages: int | None = None) -> int:
    """``check_pdf_bytes`` of the file at ``path``; an unreadable file is a ``PdfCheckError`` too."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise PdfCheckError(f"it cannot be read back ({error.strerror})") from None
    return check_pdf_bytes(data, expected_pages)
