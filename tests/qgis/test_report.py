"""The sample report end to end: pages, searchable text that matches the engine, CSV = GeoPackage, and safe
failure (atomic files, clear errors)."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from qgis.core import (
    NULL,
    QgsDistanceArea,
    QgsFeature,
    QgsGeometry,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)

from rare_earth_plugin.areas import areas_from_layer
from rare_earth_plugin.core.tonnage import TonnageParams
from rare_earth_plugin.estimation import EstimateInputs, estimate_geometry
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.report import export as report_export
from rare_earth_plugin.report.area_results import estimate_areas
from rare_earth_plugin.report.errors import ReportError
from rare_earth_plugin.report.export import ReportTargets, write_report
from rare_earth_plugin.report.figures import COLUMNS, AreaFigures, formatted
from rare_earth_plugin.report.gpkg_export import LAYER_NAME
from rare_earth_plugin.report.layout_builder import ReportLayers, _colour_grades
from rare_earth_plugin.report.target_options import TargetOptions
from rare_earth_plugin.report.texts import ReportMeta

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from report_demo import SAMPLE_CUTOFF_PCT, write_sample_report

NUMERIC_KEYS = [column.key for column in COLUMNS if column.numeric]


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory, qgis_app):
    out = tmp_path_factory.mktemp("report")
    paths = write_sample_report(out)
    project = QgsProject()
    layers = load_sample_layers(project)
    inputs = EstimateInputs(
        layers.grade.source(), TonnageParams(cutoff=SAMPLE_CUTOFF_PCT, thickness_raster=layers.thickness.source())
    )
    expected = [
        AreaFigures.from_result(area.name, area.kind, estimate_geometry(area.geometry, area.crs, inputs), "percent")
        for area in areas_from_layer(layers.zones)
    ]
    return paths, expected


def test_sample_report_files_and_page_count(sample_report):
    paths, expected = sample_report
    assert [path.suffix for path in paths] == [".pdf", ".csv", ".gpkg"]
    assert pdf_pages(paths[0]) == 1 + len(expected) + 1  # summary, areas, the targets' statement and basis
    assert len(expected) >= 6


def test_pdf_text_is_searchable_and_matches_engine(sample_report):
    paths, expected = sample_report
    text = pdf_text(paths[0])
    pages = text.split("\f")
    # the footer names the reporting code the targets were stated under (the demo's: the default)
    assert f"not a Mineral Resource or Ore Reserve under {TargetOptions().reporting_code}:" in " ".join(text.split())
    assert "exact fractional cell coverage" in text
    for number, figures in enumerate(expected, start=1):
        page = pages[number]
        assert figures.name in page, figures.name
        for key in NUMERIC_KEYS:
            if key in ("area_km2", "coverage_pct"):  # the summary states targets as ranges, not base figures
                assert formatted(figures, key) in pages[0], (figures.name, key)
            assert formatted(figures, key) in page, (figures.name, key)


def test_csv_and_gpkg_hold_the_engine_numbers(sample_report):
    paths, expected = sample_report
    with paths[1].open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert "3 significant figures" in rows[0]["note"] and all(row["note"] == "" for row in rows[1:])
    layer = QgsVectorLayer(f"{paths[2]}|layername={LAYER_NAME}", "r", "ogr")
    assert layer.isValid()
    features = list(layer.getFeatures())
    ground = QgsDistanceArea()  # areas are on the ellipsoid
    ground.setSourceCrs(layer.crs(), QgsProject.instance().transformContext())
    ground.setEllipsoid("EPSG:7030")
    assert [row["name"] for row in rows] == [f["name"] for f in features] == [e.name for e in expected]
    for row, feature, figures in zip(rows, features, expected):
        assert ground.measureArea(feature.geometry()) / 1e6 == pytest.approx(figures.area_km2, rel=1e-6)
        for key in NUMERIC_KEYS:
            want = getattr(figures, key)
            if math.isnan(want):
                assert row[key] == "" and feature.attribute(key) in (None, NULL)
                continue
            assert float(row[key]) == pytest.approx(want, rel=1e-12)
            assert feature[key] == pytest.approx(want, rel=1e-12)


@pytest.fixture()
def sample_inputs(qgis_app):
    project = QgsProject()
    layers = load_sample_layers(project)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.1, thickness=100.0))
    yield project, layers, inputs
    project.removeAllMapLayers()  # now, while QGIS runs: a project collected after exitQgis() crashes


def test_failed_export_keeps_the_earlier_report(sample_inputs, tmp_path, monkeypatch):
    _project, layers, inputs = sample_inputs
    results = estimate_areas(areas_from_layer(layers.zones, [1]), inputs)
    targets = ReportTargets.checked(tmp_path / "r.pdf", tmp_path / "r.csv")
    for path in targets.paths():
        path.write_text("earlier report")

    def broken(built, path):
        path.write_bytes(b"%PDF half")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(report_export, "export_pdf", broken)
    with pytest.raises(RuntimeError):
        write_report(results, inputs, ReportLayers([layers.zones], layers.grade, layers.region), _meta(), targets)
    assert [path.read_text() for path in targets.paths()] == ["earlier report"] * 2
    assert sorted(os.listdir(tmp_path)) == ["r.csv", "r.pdf"]


def test_one_area_report_has_two_pages(sample_inputs, tmp_path):
    _project, layers, inputs = sample_inputs
    results = estimate_areas(areas_from_layer(layers.zones, [2]), inputs)
    paths = write_report(
        results,
        inputs,
        ReportLayers([layers.zones], layers.grade, layers.region),
        _meta(),
        ReportTargets.checked(tmp_path / "one"),
    )
    assert paths == [tmp_path.resolve() / "one.pdf"]
    assert pdf_pages(paths[0]) == 2
    assert results[0].figures.name in pdf_text(paths[0])


def test_empty_selection_is_a_clear_error(sample_inputs):
    _project, layers, inputs = sample_inputs
    with pytest.raises(ReportError, match="no area chosen"):
        estimate_areas(areas_from_layer(layers.zones, []), inputs)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs a folder nobody can write in")
def test_unwritable_folder_is_a_clear_error():
    with pytest.raises(ReportError, match="cannot write in the folder '/proc'"):
        ReportTargets.checked("/proc/report.pdf")


def test_refused_file_name_is_a_clear_error(tmp_path):
    with pytest.raises(ReportError, match="characters file systems refuse"):
        ReportTargets.checked(tmp_path / "zones: Irgiz?.pdf")


def _meta() -> ReportMeta:
    return ReportMeta(date="2025-04-02", author="Test", organisation="Test org")


def test_processing_algorithm_writes_all_three_files(sample_paths, tmp_path, qgis_processing):
    import processing

    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm

    result = processing.run(
        ExportReportAlgorithm(),
        {
            "INPUT": sample_paths.zones,
            "GRADE": str(sample_paths.grade),
            "GRADE_UNIT": 0,
            "CUTOFF": 0.05,
            "DENSITY": 2.6,
            "THICKNESS_RASTER": str(sample_paths.thickness),
            "OUTPUT_PDF": str(tmp_path / "alg.pdf"),
            "OUTPUT_CSV": str(tmp_path / "alg.csv"),
            "OUTPUT_GPKG": str(tmp_path / "alg.gpkg"),
        },
    )
    assert Path(result["OUTPUT_PDF"]).is_file() and Path(result["OUTPUT_CSV"]).is_file()
    assert Path(result["OUTPUT_GPKG"]).is_file()
    assert "Irgiz" in pdf_text(Path(result["OUTPUT_PDF"]))


def test_summary_that_cannot_hold_every_area_says_where_the_rest_are(sample_inputs, tmp_path):
    _project, layers, inputs = sample_inputs
    blocks = QgsVectorLayer("Polygon?crs=EPSG:32643&field=name:string", "Blocks", "memory")
    centre = layers.zones.extent().center()
    features = []
    for number in range(24):
        x, y = centre.x() + (number % 6 - 3) * 600.0, centre.y() + (number // 6 - 2) * 600.0
        feature = QgsFeature(blocks.fields())
        feature.setAttribute("name", f"Block {number:02d}")
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x, y, x + 400.0, y + 400.0)))
        features.append(feature)
    blocks.dataProvider().addFeatures(features)
    results = estimate_areas(areas_from_layer(blocks), inputs)
    paths = write_report(
        results,
        inputs,
        ReportLayers([blocks], layers.grade, layers.region),
        _meta(),
        ReportTargets.checked(tmp_path / "blocks"),
    )
    assert pdf_pages(paths[0]) == 1 + 24
    summary = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(paths[0]), "-"], check=True, capture_output=True, text=True
    ).stdout
    shown = [number for number in range(24) if f"Block {number:02d}" in summary]
    assert shown == list(range(len(shown))) and 0 < len(shown) < 24
    assert f"and {24 - len(shown)} more areas: see their pages" in " ".join(summary.split())
    everything = pdf_text(paths[0])
    assert all(f"Block {number:02d}" in everything for number in range(24))


def test_grey_grade_raster_from_a_file_gets_a_colour_ramp_and_a_styled_one_keeps_its_style(sample_paths):
    plain = QgsRasterLayer(str(sample_paths.grade), "grade", "gdal")
    assert plain.renderer().type() == "singlebandgray"
    _colour_grades(plain)
    shader = plain.renderer().shader().rasterShaderFunction()
    assert plain.renderer().type() == "singlebandpseudocolor"
    assert shader.minimumValue() < 0.03 and 0.2 < shader.maximumValue() <= 0.25
    styled = load_sample_layers(QgsProject.instance()).grade
    before = styled.renderer()
    _colour_grades(styled)
    assert styled.renderer() is before
    QgsProject.instance().removeAllMapLayers()
