"""The PDF check reads a PDF to its trailer and counts its pages; cut-off or wrong files fail with a reason."""

from __future__ import annotations

import zlib

import pytest

from rare_earth_plugin.report.pdf_check import PdfCheckError, check_pdf, check_pdf_bytes


def _pdf(pages: int, object_stream: bool = False) -> bytes:
    """A minimal PDF built by hand, with a correct cross-reference offset."""
    kids = " ".join(f"{3 + n} 0 R" for n in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
    if object_stream:
        packed = zlib.compress(b" ".join([page] * pages))
        objects.append(
            b"<< /Type /ObjStm /N %d /First 0 /Filter /FlateDecode /Length %d >>\nstream\n" % (pages, len(packed))
            + packed
            + b"\nendstream"
        )
    else:
        objects += [page] * pages
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


def test_a_whole_pdf_passes_with_its_page_count():
    assert check_pdf_bytes(_pdf(3), 3) == 3
    assert check_pdf_bytes(_pdf(2, object_stream=True), 2) == 2


@pytest.mark.parametrize("cut", [10, 100, 0.5, 0.9])
def test_a_cut_off_pdf_fails(cut):
    data = _pdf(3)
    keep = int(len(data) * cut) if isinstance(cut, float) else len(data) - cut
    with pytest.raises(PdfCheckError):
        check_pdf_bytes(data[:keep], 3)


def test_wrong_page_count_wrong_offset_and_not_a_pdf_fail(tmp_path):
    with pytest.raises(PdfCheckError, match="2 pages instead of 3"):
        check_pdf_bytes(_pdf(2), 3)
    data = _pdf(1).replace(b"startxref\n", b"startxref\n1")
    with pytest.raises(PdfCheckError, match="cross-reference"):
        check_pdf_bytes(data, 1)
    with pytest.raises(PdfCheckError, match="does not start like a PDF"):
        check_pdf_bytes(b"\0" * 4096, 1)  # what a full disk may leave: a file of zeros
    with pytest.raises(PdfCheckError, match="cannot be read"):
        check_pdf(tmp_path / "missing.pdf", 1)
