"""Report figures rescale the engine's units only, print one way, and reach the CSV at full precision."""

from __future__ import annotations

import csv
import math
from dataclasses import replace

import pytest

from rare_earth_plugin.core.target_ranges import TargetRanges, Triangular
from rare_earth_plugin.core.tonnage import TonnageParams, TonnageResult
from rare_earth_plugin.core.units import PERCENT, PPM
from rare_earth_plugin.report.csv_export import CSV_FIELDS, NOTE_FIELD, write_csv
from rare_earth_plugin.report.figures import COLUMNS, AreaFigures, formatted, table_rows
from rare_earth_plugin.report.texts import BYLINE_SEPARATOR, DISCLAIMER, ReportMeta, assumptions_text, disclaimer


def FakeResult(**changes) -> TonnageResult:  # noqa: N802 - reads as the record it makes
    """An engine result of made-up figures, ``changes`` replacing them."""
    figures = {
        "polygon_area_m2": 1_500_000.0,
        "covered_area_m2": 1_477_500.0,
        "ore_area_m2": 1_400_000.0,
        "ore_volume_m3": 150_000_000.0,
        "ore_tonnes": 388_828_099.0,
        "mean_grade": 0.2057,
        "treo_tonnes": 800_000.0,
        "tree_tonnes": 666_666.7,
        "data_coverage": 0.985,
        "cutoff": 0.05,
    }
    return TonnageResult(**{**figures, **changes})


def test_units_are_rescaled_exactly():
    figures = AreaFigures.from_result("Irgiz", "prospective zone", FakeResult(), PERCENT)
    assert figures.area_km2 == pytest.approx(1.5)
    assert figures.ore_mt == pytest.approx(388.828099)
    assert figures.treo_kt == pytest.approx(800.0)
    assert figures.coverage_pct == pytest.approx(98.5)
    assert figures.mean_grade_pct == pytest.approx(0.2057)


def test_an_area_without_data_has_no_figures_of_ore_where_a_barren_one_has_zero():
    """An area outside the rasters read 0 Mt and 0 kt in the report's CSV and GeoPackage beside "no data, so no
    figures" on its page; those figures are now missing (NaN, NULL in the files), as in Processing's outputs."""
    away = AreaFigures.from_result(
        "A",
        "zone",
        FakeResult(ore_tonnes=0.0, treo_tonnes=0.0, tree_tonnes=0.0, mean_grade=math.nan, data_coverage=0.0),
        PERCENT,
    )
    assert all(math.isnan(value) for value in (away.ore_mt, away.mean_grade_pct, away.treo_kt, away.tree_kt))
    assert (away.area_km2, away.coverage_pct, away.cutoff_pct) == (1.5, 0.0, 0.05)
    barren = AreaFigures.from_result(
        "B", "zone", FakeResult(ore_tonnes=0.0, treo_tonnes=0.0, tree_tonnes=0.0, mean_grade=math.nan), PERCENT
    )
    assert (barren.ore_mt, barren.treo_kt, barren.tree_kt) == (0.0, 0.0, 0.0) and math.isnan(barren.mean_grade_pct)


def test_ppm_grades_are_reported_in_percent():
    figures = AreaFigures.from_result("x", "k", FakeResult(mean_grade=700.0, cutoff=500.0), PPM)
    assert figures.mean_grade_pct == pytest.approx(0.07)
    assert figures.cutoff_pct == pytest.approx(0.05)


def test_formatting_thousands_and_missing_grade():
    figures = AreaFigures.from_result("x", "k", FakeResult(ore_tonnes=11_760_740_000.0, mean_grade=math.nan), PERCENT)
    assert formatted(figures, "ore_mt") == "11,800"
    assert formatted(figures, "mean_grade_pct") == "–"
    assert table_rows([figures])[0][:2] == ["x", "k"]
    assert len(table_rows([figures])[0]) == len(COLUMNS)


def test_csv_holds_full_precision_and_empty_cell_for_nan(tmp_path):
    rows = [
        AreaFigures.from_result("Жаңа Қазақстан", "prognostic cluster", FakeResult(), PERCENT),
        AreaFigures.from_result(
            "Dos 3", "prospective zone", FakeResult(mean_grade=math.nan, warnings=("a", "b")), PERCENT
        ),
    ]
    path = write_csv(rows, tmp_path / "r.csv")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        read = list(csv.DictReader(stream))
    assert tuple(read[0]) == (*CSV_FIELDS, NOTE_FIELD)
    assert "3 significant figures" in read[0][NOTE_FIELD] and read[1][NOTE_FIELD] == ""
    assert read[0]["name"] == "Жаңа Қазақстан"
    assert float(read[0]["ore_mt"]) == rows[0].ore_mt
    assert read[1]["mean_grade_pct"] == ""
    assert read[1]["warnings"] == "a; b"


def test_meta_title_never_blank_and_byline_leaves_blanks_out():
    meta = ReportMeta(title=" ", date="2026-12-02", author="", organisation="  ").filled()
    assert meta.title
    assert meta.byline() == "2026-12-02"
    assert "not set" not in meta.byline() and "·" not in meta.byline()
    full = ReportMeta(date="2026-12-02", author=" A. Geologist ", organisation="Qaraganda Survey").filled()
    assert full.byline().split(BYLINE_SEPARATOR) == ["2026-12-02", "A. Geologist", "Qaraganda Survey"]
    assert ReportMeta(author="A. Geologist").byline() == "A. Geologist"


def test_assumptions_name_every_input():
    params = TonnageParams(cutoff=0.05, density=2.6, thickness_raster="/d/thickness_m.tif")
    text = assumptions_text(params, "/d/treo_grade_pct.tif", "EPSG:32643")
    for expected in (
        "treo_grade_pct.tif",
        "0.05 % TREO",
        "2.60 t/m³",
        "thickness_m.tif",
        "EPSG:32643",
        "exact fractional cell coverage",
        "1.20",
    ):
        assert expected in text
    assert "KAZRC" in DISCLAIMER and "JORC" in DISCLAIMER and "not a Mineral Resource" in DISCLAIMER
    assert "Depth window" not in text and "Exploration target" not in text  # none applies: no line


def test_assumptions_state_the_depth_window_and_the_targets_inputs():
    """The summary said "Bulk density: 2.60 t/m³ (constant)" beside a target drawn from 2.4 / 2.55 / 2.7, and
    nothing of a depth window the figures were cut to."""
    params = TonnageParams(cutoff=0.1, thickness=10.0, top_depth_raster="/d/top.tif", min_depth=10.0, max_depth=300.0)
    ranges = TargetRanges(density=Triangular(2.4, 2.55, 2.7))
    text = assumptions_text(params, "/d/g.tif", "EPSG:32643", ranges)
    assert "Depth window: top of mineralisation top.tif below surface; counted between 10 m and 300 m depth" in text
    assert "bulk density 2.4 / 2.55 / 2.7 t/m³, thickness factor 0.8 / 1 / 1.2, grade factor 0.85 / 1 / 1.15" in text
    with_raster = replace(params, density_raster="/d/rho.tif")
    with_raster_text = assumptions_text(with_raster, "g", "c", ranges)
    assert "bulk density density raster scaled by value / likely of 2.4 / 2.55 / 2.7 t/m³" in with_raster_text
    cut = assumptions_text(
        replace(params, thickness_raster="/d/" + "t" * 40 + ".tif", thickness=None), "g", "c", None, 12
    )
    assert "thickness raster tttttt…t.tif (m)" in cut and "top.tif below surface" in cut  # 12 characters


@pytest.mark.parametrize(
    "code, words",
    [(None, "under KAZRC or JORC:"), ("KAZRC", "under KAZRC:"), ("CRIRSCO template", "under the CRIRSCO template:")],
)
def test_the_footer_names_the_chosen_reporting_code(code, words):
    assert words in disclaimer(code) and "not a Mineral Resource" in disclaimer(code)
