"""The report's exploration targets: ranges on every page that shows figures with the caution beside them,
the basis page, the statement items remembered and taken from ``exportreport``, the CSV and GeoPackage fields
of ``rareearth:explorationtarget``."""

from __future__ import annotations

import csv
import math
import re
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from osgeo import ogr
from qgis.core import QgsProject

from rare_earth_plugin.areas import areas_from_layer
from rare_earth_plugin.core import display
from rare_earth_plugin.core.exploration_target import exploration_target
from rare_earth_plugin.core.target_fields import TARGET_FIELDS
from rare_earth_plugin.core.target_text import rounded_range
from rare_earth_plugin.core.tonnage import TonnageParams
from rare_earth_plugin.estimation import EstimateInputs, crs_for_engine, geometry_wkt
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.report.target_options import TargetOptions, options_from_settings
from rare_earth_plugin.settings import Settings


def pages_of(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    text = unicodedata.normalize("NFKC", text)  # the PDF's ligatures (ﬁ, ﬃ) back into letters
    return [" ".join(page.split()) for page in text.split("\f")]


@pytest.fixture(scope="module")
def report(tmp_path_factory, qgis_app, qgis_processing):
    import processing

    from rare_earth_plugin.core import catalogue
    from rare_earth_plugin.paths import sample_data
    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm

    out = tmp_path_factory.mktemp("target_report")
    zones = f"{sample_data(catalogue.ZONES_FILE)}|layername={catalogue.ZONES_LAYER}"
    parameters = {
        "INPUT": zones,
        "GRADE": str(sample_data(catalogue.GRADE_FILE)),
        "CUTOFF": 0.05,
        "THICKNESS_RASTER": str(sample_data(catalogue.THICKNESS_FILE)),
        "MAX_DEPTH": 60,
        "GRADE_FACTOR_RANGE": "0.8,1,1.2",
        "DRAWS": 4000,
        "SEED": 11,
        "EXPLORATION_PLANNED": "12 diamond holes on a 400 m grid",
        "TIMEFRAME": "2027 field season",
        "REPORTING_CODE": 1,
        "COMPETENT_PERSON": "A. Geologist, MAusIMM",
        "OUTPUT_PDF": str(out / "t.pdf"),
        "OUTPUT_CSV": str(out / "t.csv"),
        "OUTPUT_GPKG": str(out / "t.gpkg"),
    }
    processing.run(ExportReportAlgorithm(), parameters)
    return out, parameters


CAUTION_WORDS = re.compile(
    r"conceptual in nature.*insufficient exploration to estimate a Mineral Resource.*"
    r"uncertain whether further exploration will result",
    re.S,
)


def expected_targets(parameters):
    project = QgsProject()  # owns the layers while they are read
    layers = load_sample_layers(project)
    inputs = EstimateInputs(
        parameters["GRADE"], TonnageParams(cutoff=0.05, thickness_raster=parameters["THICKNESS_RASTER"], max_depth=60.0)
    )
    from rare_earth_plugin.core.target_ranges import TargetRanges

    ranges = TargetRanges.parse(grade_factor="0.8,1,1.2")
    return {
        area.name: exploration_target(
            geometry_wkt(area.geometry), inputs.grade_path, inputs.params, ranges, 4000, 11, crs_for_engine(area.crs)
        )
        for area in areas_from_layer(layers.zones)
    }


def test_every_page_with_figures_states_ranges_with_the_caution(report):
    out, parameters = report
    pages = [page for page in pages_of(out / "t.pdf") if page.strip()]
    targets = expected_targets(parameters)
    summary, *areas, basis = pages
    for name, target in targets.items():
        ore = rounded_range(target.p90.ore_tonnes / 1e6, target.p10.ore_tonnes / 1e6)
        treo = rounded_range(target.p90.treo_tonnes / 1e3, target.p10.treo_tonnes / 1e3)
        assert f"{ore}" in summary and f"{treo}" in summary, name
        assert ore in basis, name
        page = next(p for p in areas if p.startswith(name) or f" {name} " in p[:80])
        assert "Exploration target (P90–P10)" in page and "P90 is the value exceeded with 90 % probability" in page
        assert CAUTION_WORDS.search(page), name
    assert CAUTION_WORDS.search(summary) or "conceptual in nature; insufficient exploration" in summary
    assert "P90: exceeded with 90 % probability" in summary
    assert CAUTION_WORDS.search(basis)
    for words in (
        "Basis of the target",
        "Grade factor: 0.8 / 1 / 1.2",
        "Bulk density: 2.5 / 2.6 / 2.7",
        "counted to 60 m depth",
        "4,000 draws (seed 11)",
        "12 diamond holes on a 400 m grid",
        "2027 field season",
        "under KAZRC",
        "Competent Person: A. Geologist, MAusIMM",
    ):
        assert words in basis, words


def test_an_area_page_headlines_the_target_range_before_the_base_case(report):
    """The area pages led with a table of base-case single figures; the target's P90–P10 column now comes first,
    the base case beside it (the figures table as the layout gets it)."""
    from rare_earth_plugin.report.figures import AreaFigures
    from rare_earth_plugin.report.layout_builder import _figures_table

    _, parameters = report
    target = next(iter(expected_targets(parameters).values()))
    figures = AreaFigures("A", "zone", 64.21, 11.8, 0.081, 9.52, 7.93, 100.0, 0.05)
    columns, rows, _ = _figures_table(SimpleNamespace(figures=figures, target=target))
    assert [column.title for column in columns] == ["Figure", "Exploration target P90–P10", "Base case"]
    by_title = {row[0]: row[1:] for row in rows}
    ore = rounded_range(target.p90.ore_tonnes / 1e6, target.p10.ore_tonnes / 1e6)
    treo = rounded_range(target.p90.treo_tonnes / 1e3, target.p10.treo_tonnes / 1e3)
    # the base case is the target's (every input at its likely value), not the estimate's figures beside it:
    # with a likely value apart from the constant inputs they differ (234 Mt stood beside a high case of 130 Mt)
    base_ore, base_treo = (
        quantity.text(quantity.convert(tonnes))
        for quantity, tonnes in ((display.ORE, target.base.ore_tonnes), (display.CONTAINED, target.base.treo_tonnes))
    )
    assert base_ore != "11.8" and base_treo != "9.52"
    assert by_title["Ore Mt"] == [ore, base_ore] and by_title["TREO kt"] == [treo, base_treo]
    assert by_title["Area km²"] == ["64.21", "64.21"]
    columns, rows, _ = _figures_table(SimpleNamespace(figures=figures, target=None))
    assert [column.title for column in columns] == ["Figure", "At cut-off 0.05 % TREO"]


def test_statement_items_are_remembered(report):
    options = options_from_settings()
    assert options.competent_person == "A. Geologist, MAusIMM" and options.reporting_code == "KAZRC"
    assert options.timeframe == "2027 field season"
    Settings.competent_person.set("")
    assert "not named" in TargetOptions().statement_lines()[-1]


def test_csv_and_gpkg_carry_the_processing_fields(report):
    out, parameters = report
    targets = expected_targets(parameters)
    with (out / "t.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = {row["name"]: row for row in csv.DictReader(stream)}
    source = ogr.Open(str(out / "t.gpkg"))
    features = {f["name"]: f for f in source.GetLayer(0)}
    for name, target in targets.items():
        for field, (case, attribute) in TARGET_FIELDS.items():
            value = getattr(getattr(target, case), attribute)
            assert float(rows[name][field]) == pytest.approx(value, rel=1e-9), (name, field)
            assert features[name][field] == pytest.approx(value, rel=1e-9), (name, field)
        assert "seed 11" in rows[name]["target_basis"] and rows[name]["grade_unit"] == "percent"


def _sample_area_pages(tmp_path, **changes) -> list[str]:
    """The area pages of a report of the sample zones at a cut-off of 0.05 % with ``changes`` to its parameters."""
    import processing

    from rare_earth_plugin.core import catalogue
    from rare_earth_plugin.paths import sample_data
    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm

    parameters = {
        "INPUT": f"{sample_data(catalogue.ZONES_FILE)}|layername={catalogue.ZONES_LAYER}",
        "GRADE": str(sample_data(catalogue.GRADE_FILE)),
        "CUTOFF": 0.05,
        "THICKNESS_RASTER": str(sample_data(catalogue.THICKNESS_FILE)),
        "DRAWS": 200,
        "OUTPUT_PDF": str(tmp_path / "areas.pdf"),
        **changes,
    }
    processing.run(ExportReportAlgorithm(), parameters)
    pages = [page for page in pages_of(tmp_path / "areas.pdf") if "Source: layer" in page]
    assert pages
    return pages


def test_a_window_below_all_the_ore_is_named_on_the_area_pages(tmp_path, qgis_app, qgis_processing):
    """Sample zones counted from 5 km depth: the cells reach the cut-off but none of their ore lies in the window;
    the pages said 'No cell reaches the cut-off'."""
    for page in _sample_area_pages(tmp_path, MIN_DEPTH=5000):
        assert "No ore above the cut-off within the depth window, so no mean grade." in page
        assert "no draw has ore above the cut-off within the depth window" in page
        assert "No cell reaches the cut-off" not in page


def test_cells_above_the_cutoff_without_thickness_are_not_said_to_miss_it(tmp_path, qgis_app, qgis_processing):
    """A thickness raster of zeros under grades above the cut-off: the pages said 'No cell reaches the cut-off'."""
    import rasterio

    from rare_earth_plugin.core import catalogue
    from rare_earth_plugin.paths import sample_data

    with rasterio.open(sample_data(catalogue.THICKNESS_FILE)) as source:
        profile, shape = source.profile, source.shape
    with rasterio.open(tmp_path / "zero.tif", "w", **profile) as target:
        target.write(np.zeros(shape, dtype=profile["dtype"]), 1)
    for page in _sample_area_pages(tmp_path, THICKNESS_RASTER=str(tmp_path / "zero.tif")):
        assert "The cells above the cut-off hold no ore (their thickness or density is 0), so no mean grade." in page
        assert "the cells above the cut-off hold no ore (their thickness or density is 0)" in page  # the target's
        assert "No cell reaches the cut-off" not in page


def test_a_report_of_disjoint_zones_one_without_data(
    tmp_path, qgis_app, qgis_processing, make_raster, make_polygons, grid
):
    """From a review: the caption said areas overlap where none did; the assumptions left out the depth window and
    the target's ranges; a zone outside the raster read "no ore"; the footer named KAZRC or JORC whatever code was
    chosen; the area page's base case was the estimate at the constant inputs, not the target's."""
    import processing

    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm

    grade = make_raster(np.full((20, 20), 0.2))
    zones = make_polygons([(grid.box(2, 3, 7, 8), "Inner"), (grid.box(30, 30, 35, 35), "Away")])
    parameters = {
        "INPUT": zones,
        "GRADE": grade,
        "CUTOFF": 0.05,
        "THICKNESS": 10.0,
        "DENSITY": 2.6,
        "DENSITY_RANGE": "2.0,2.2,2.4",
        "MAX_DEPTH": 8.0,
        "DRAWS": 300,
        "REPORTING_CODE": 2,
        "OUTPUT_PDF": str(tmp_path / "r.pdf"),
        "OUTPUT_CSV": str(tmp_path / "r.csv"),
        "OUTPUT_GPKG": str(tmp_path / "r.gpkg"),
    }
    processing.run(ExportReportAlgorithm(), parameters)
    # the CSV and GeoPackage hold no figures of ore for it either (they read 0 Mt and 0 kt), and 0 % coverage
    with open(tmp_path / "r.csv", encoding="utf-8-sig", newline="") as stream:
        rows = {row["name"]: row for row in csv.DictReader(stream)}
    written = ogr.Open(str(tmp_path / "r.gpkg"))  # kept open while its features are read
    features = {feature["name"]: feature for feature in written.GetLayer(0)}
    for key in ("ore_mt", "mean_grade_pct", "treo_kt", "tree_kt", "ore_t_base"):
        assert rows["Away"][key] == "" and features["Away"].GetField(key) is None, key
        assert rows["Inner"][key] != "" and features["Inner"].GetField(key) is not None, key
    assert float(rows["Away"]["coverage_pct"]) == features["Away"].GetField("coverage_pct") == 0.0
    summary, *areas = [page for page in pages_of(tmp_path / "r.pdf") if page.strip()]
    assert "basis: the statement after the area pages." in summary and "areas overlap" not in summary
    assert "Depth window: top of mineralisation 0 m below surface; counted to 8 m depth" in summary
    assert "bulk density 2 / 2.2 / 2.4 t/m" in summary  # NFKC: ³ reads 3
    assert "Ore Reserve under the CRIRSCO template:" in summary and "KAZRC or JORC" not in summary
    inner = next(page for page in areas if "Inner" in page[:80])
    away = next(page for page in areas if "Away" in page[:80])
    base_ore = 5 * 5 * grid.cell**2 * 8.0 * 2.2 / 1e6  # the window cuts 10 m to 8; the likely density 2.2
    # the ore row reads "<P90–P10> <base case>"; the estimate at 2.6 t/m³ would be 0.0520
    assert re.search(rf"[0-9.]+–[0-9.]+ {re.escape(display.ORE.text(base_ore))} ", inner), inner
    assert "At standard cut-offs (the assumptions' constant inputs, not the target's ranges):" in inner
    assert "no data" in away and "the area holds no data" in away and "no ore" not in away
    # no figure beside "no data": the base case and the summary's TREO columns read "–", not 0
    assert re.search(r"Ore Mt no data – ", away) or re.search(r"no data –", away), away
    assert re.search(r"Away area (< )?[0-9.]+ no data – – –", summary), summary
    assert "Data (grade and the other rasters) cover 0.0 % of the area" in away


def test_every_areas_target_is_stated_however_many_areas(
    tmp_path, qgis_app, qgis_processing, make_raster, make_polygons, grid
):
    """With 36 zones the summary listed 4 targets and the statement page 10, then "… and 26 more": the statement
    page's table goes on over pages of its own, each with the caution beside it."""
    import processing

    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm

    grade = make_raster(np.full((40, 40), 0.2))
    names = [f"Block {number:02d}" for number in range(16)]
    rows = [
        (grid.box(2 * (n % 8), 2 * (n // 8), 2 * (n % 8) + 1, 2 * (n // 8) + 1), name) for n, name in enumerate(names)
    ]
    parameters = {
        "INPUT": make_polygons(rows),
        "GRADE": grade,
        "CUTOFF": 0.05,
        "THICKNESS": 10.0,
        "DRAWS": 100,
        "OUTPUT_PDF": str(tmp_path / "many.pdf"),
    }
    processing.run(ExportReportAlgorithm(), parameters)
    pages = [page for page in pages_of(tmp_path / "many.pdf") if page.strip()]
    assert len(pages) > 1 + len(names) + 1  # summary, areas, the statement page and at least one more
    tables = pages[1 + len(names) :]
    assert all(CAUTION_WORDS.search(page) for page in tables)
    assert "continued on the next page" in tables[0] and "Exploration targets (continued)" in tables[-1]
    for name in names:  # both rows of every area, on the closing pages
        assert sum(page.count(f"{name} P90–P10") + page.count(f"{name} low–high case") for page in tables) == 2, name
    assert "see the statement pages" in pages[0]


def _two_cell_target(area_m2: float, grades: tuple[float, float], cutoff: float):
    """The target of two cells of ``area_m2`` each, 10 m thick at 2.6 t/m³, read from nothing but these numbers."""
    from rare_earth_plugin.core.exploration_target import target_from_cells

    cells = SimpleNamespace(
        area_m2=np.array([area_m2, area_m2]),
        grade=np.array(grades),
        thickness=np.array([10.0, 10.0]),
        top=np.array([0.0, 0.0]),
        density=np.array([2.6, 2.6]),
        polygon_area_m2=2 * area_m2,
        data_coverage=1.0,
        warnings=(),
        grade_unit="percent",
        min_depth=None,
        max_depth=None,
        cutoff=cutoff,
        treo_to_tree=1 / 1.2,
        reach=1.0,
    )
    return target_from_cells(cells, TonnageParams(thickness_raster="t.tif", cutoff=cutoff), draws=200, seed=1)


def test_a_sliver_target_reads_less_than_a_tonne_as_its_base_case_does():
    """A sliver of a cell (1e-8 m² of ore): its P90–P10 read 0.0000000000017–0.0000000000031 Mt beside a base case
    of "< 0.000001" Mt; both now read as the base case does, and a range from a sliver to tonnes starts at 0."""
    from rare_earth_plugin.report.target_section import figure_range

    sliver = _two_cell_target(1e-8, (0.2, 0.3), 0.05)  # about 5e-7 t of ore
    assert 0 < sliver.p10.ore_tonnes < 0.5 and sliver.base.ore_tonnes < 0.5
    assert figure_range(sliver, "ore_mt") == display.mt(sliver.base.ore_tonnes) == "< 0.000001"
    assert figure_range(sliver, "treo_kt") == display.kt(sliver.base.treo_tonnes) == "< 0.001"
    spread = replace(sliver, p10=replace(sliver.p10, ore_tonnes=3_000.0))  # from a sliver to 3,000 t
    assert figure_range(spread, "ore_mt") == rounded_range(0.0, 0.003)


def test_an_area_without_ore_reads_0_tonnes_of_treo_in_the_summary_not_less_than_a_tonne():
    """With the cut-off above every grade the summary's low–high TREO read "< 0.001" kt (some TREO) beside the
    statement page's and the CSV's 0."""
    from rare_earth_plugin.report.figures import AreaFigures
    from rare_earth_plugin.report.target_section import summary_row

    target = _two_cell_target(100.0, (0.02, 0.03), 0.3)
    assert target.low.treo_tonnes == target.high.treo_tonnes == 0.0
    figures = AreaFigures("A", "zone", 0.0002, 100.0, math.nan, 0.0, 0.0, 0.0, 0.3)
    row = summary_row(SimpleNamespace(target=target, figures=figures))
    assert row[3:7] == ["no ore", display.MISSING, "0", "0"]


def test_none_clears_a_remembered_statement_item_and_empty_keeps_it(qgis_processing):
    """An empty text meant "the last one given", so once a Competent Person was named every later run named
    them: "none" now leaves the item unstated, and is remembered so."""
    from qgis.core import QgsProcessingContext

    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm
    from rare_earth_plugin.processing.report_statement import target_options_from_parameters

    alg = ExportReportAlgorithm()
    alg.initAlgorithm({})
    Settings.competent_person.set("B. Person")
    Settings.timeframe.set("2027 field season")
    Settings.exploration_planned.set("25 RC holes")
    given = {"COMPETENT_PERSON": "None", "TIMEFRAME": " none ", "EXPLORATION_PLANNED": ""}
    options = target_options_from_parameters(alg, given, QgsProcessingContext(), TonnageParams(thickness=1.0))
    assert (options.competent_person, options.timeframe, options.exploration_planned) == ("", "", "25 RC holes")
    lines = options.statement_lines()
    assert "Timeframe: not stated." in lines and "not named" in lines[-1]
    remembered = options_from_settings()
    assert (remembered.competent_person, remembered.timeframe) == ("", "")


def test_statement_items_read_as_sentences_under_the_code_named_as_prose():
    """ "… 25 RC holes." printed "holes.." and "under CRIRSCO template" lacked its article."""
    options = TargetOptions(
        exploration_planned="25 RC holes.", timeframe="by Q3 2027", reporting_code="CRIRSCO template"
    )
    lines = options.statement_lines()
    assert lines[0].startswith("Reported as an Exploration Target under the CRIRSCO template;")
    assert lines[1] == "Exploration planned to test the target: 25 RC holes."
    assert lines[2] == "Timeframe: by Q3 2027."
    assert (
        TargetOptions(reporting_code="KAZRC")
        .statement_lines()[0]
        .startswith("Reported as an Exploration Target under KAZRC;")
    )


def test_statement_items_lose_direction_overrides_and_control_characters():
    """A right-to-left override typed (or pasted) into a name showed the rest of its line reversed on the page,
    "MAusIMM" as "MMIsuAM"; a tab or a NUL byte printed as a box. Right-to-left names keep their letters."""
    options = TargetOptions(
        exploration_planned="12 holes\t(400 m grid)\r\nthen 4 more\x00",
        timeframe="\u2067Q3\u2069 2027",
        competent_person="A. Geologist, \u202eMAusIMM\u202c; \u0639\u0644\u064a \u0623\u062d\u0645\u062f",
    )
    lines = options.statement_lines()
    assert lines[1] == "Exploration planned to test the target: 12 holes (400 m grid)\nthen 4 more."
    assert lines[2] == "Timeframe: Q3 2027."
    assert lines[3] == "Competent Person: A. Geologist, MAusIMM; \u0639\u0644\u064a \u0623\u062d\u0645\u062f."
    assert options.competent_person == "A. Geologist, MAusIMM; \u0639\u0644\u064a \u0623\u062d\u0645\u062f"
