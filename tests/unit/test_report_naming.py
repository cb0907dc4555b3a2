"""Names from attribute tables and users never reach the file system unchecked."""

from __future__ import annotations

from pathlib import Path

import pytest

from rare_earth_plugin.report.errors import ReportError
from rare_earth_plugin.report.naming import (
    MAX_NAME_BYTES,
    REFUSED_CHARACTERS,
    check_output_file,
    safe_file_stem,
    unique_stems,
)


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b\\c", 'x<y>z:"q"|?*', "tab\there", "nul\x00byte"])
def test_safe_stem_has_no_refused_characters_or_separators(name):
    stem = safe_file_stem(name)
    assert not set(stem) & set(REFUSED_CHARACTERS + "\t\x00")
    assert Path(stem).name == stem and ".." not in Path(stem).parts


def test_safe_stem_keeps_readable_names_including_non_latin():
    assert safe_file_stem("Dos 1") == "Dos_1"
    assert safe_file_stem("Жаңа Қазақстан") == "Жаңа_Қазақстан"


@pytest.mark.parametrize("name", ["", "   ", "...", "///"])
def test_safe_stem_never_empty(name):
    assert safe_file_stem(name, fallback="area") == "area"


def test_safe_stem_avoids_windows_device_names_and_limits_length():
    assert safe_file_stem("CON").upper() != "CON"
    assert len(safe_file_stem("Ж" * 500).encode("utf-8")) <= MAX_NAME_BYTES


def test_unique_stems_never_collide_even_ignoring_case():
    stems = unique_stems(["Dos 1", "Dos/1", "dos 1", ""])
    assert len({stem.lower() for stem in stems}) == 4


def test_check_output_file_adds_suffix_and_resolves(tmp_path):
    assert check_output_file(tmp_path / "report", ".pdf") == tmp_path.resolve() / "report.pdf"
    assert check_output_file(str(tmp_path / "r.PDF"), ".pdf").name == "r.PDF"


@pytest.mark.parametrize("name", ["bad:name.pdf", "a|b.pdf", "what?.pdf", "NUL.pdf", "  .pdf", "a\tb.pdf"])
def test_check_output_file_refuses_names_file_systems_refuse(tmp_path, name):
    with pytest.raises(ReportError, match="PDF file"):
        check_output_file(tmp_path / name, ".pdf", "PDF file")


def test_check_output_file_names_a_missing_folder(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        check_output_file(tmp_path / "missing" / "r.pdf", ".pdf")


def test_check_output_file_refuses_empty_and_folders(tmp_path):
    with pytest.raises(ReportError, match="no file name"):
        check_output_file("", ".pdf")
    (tmp_path / "x.pdf").mkdir()
    with pytest.raises(ReportError, match="is a folder"):
        check_output_file(tmp_path / "x.pdf", ".pdf")


def test_csv_cells_a_spreadsheet_would_evaluate_get_an_apostrophe_numbers_do_not():
    from rare_earth_plugin.report.csv_export import csv_value

    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_value(text) == f"'{text}"
    assert csv_value(("=cmd|' /C calc'!A0", "ok")) == "'=cmd|' /C calc'!A0; ok"
    assert csv_value("Irgiz -1") == "Irgiz -1" and csv_value("") == ""
    assert csv_value(-0.5) == "-0.5" and csv_value(float("nan")) == "" and csv_value(-3) == -3
