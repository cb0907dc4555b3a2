"""Real exports under real faults: a disk that fills up, a GeoPackage that cannot be written while the PDF and
CSV could, a folder given as the PDF, SIGKILL mid-export, QGIS's world map that must never be written, and area
names a spreadsheet would run as formulas. The earlier set stays byte for byte; one short message."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsProcessingException, QgsProject, QgsVectorLayer

from rare_earth_plugin.areas import areas_from_layer
from rare_earth_plugin.core.tonnage import TonnageParams
from rare_earth_plugin.estimation import EstimateInputs
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.paths import sample_data_dir
from rare_earth_plugin.report import file_set
from rare_earth_plugin.report.area_results import estimate_areas
from rare_earth_plugin.report.errors import ReportError
from rare_earth_plugin.report.export import ReportTargets, write_report
from rare_earth_plugin.report.gpkg_export import LAYER_NAME
from rare_earth_plugin.report.layout_builder import ReportLayers
from rare_earth_plugin.report.pdf_check import check_pdf
from rare_earth_plugin.report.texts import ReportMeta
from rare_earth_plugin.report.world_map import WORLD_MAP

REPO = Path(__file__).resolve().parents[2]
META = ReportMeta(date="2025-04-02", author="Test", organisation="Test org")


@pytest.fixture()
def sample(qgis_app):
    project = QgsProject()
    layers = load_sample_layers(project)
    yield project, layers
    project.removeAllMapLayers()


def _export(layers, folder: Path, cutoff: float, fids=(1, 2), stem: str = "r", region=True) -> list[Path]:
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=cutoff, thickness=50.0))
    results = estimate_areas(areas_from_layer(layers.zones, list(fids)), inputs)
    targets = ReportTargets.checked(*(folder / f"{stem}.{suffix}" for suffix in ("pdf", "csv", "gpkg")))
    return write_report(
        results, inputs, ReportLayers([layers.zones], layers.grade, layers.region if region else None), META, targets
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _fill(folder: Path, leave_bytes: int) -> None:
    """Take all free space on the drive of ``folder`` but ``leave_bytes``."""
    free = shutil.disk_usage(folder).free
    (folder / "filler").write_bytes(b"\0" * max(0, free - leave_bytes))


def test_full_disk_keeps_the_earlier_report_and_says_so(sample, small_disk):
    _project, layers = sample
    disk = small_disk(6000)
    paths = _export(layers, disk, 0.1)
    assert check_pdf(paths[0], 3) == 3
    _fill(disk, 200 * 1024)
    earlier = _snapshot(disk)
    with pytest.raises(ReportError) as raised:
        _export(layers, disk, 0.2)
    message = str(raised.value)
    assert "PDF file" in message and "earlier files are unchanged" in message and len(message) < 400
    assert "Errno" not in message and "Traceback" not in message
    assert _snapshot(disk) == earlier  # byte for byte, no temporary file
    assert check_pdf(paths[0], 3) == 3


def test_a_geopackage_that_does_not_fit_keeps_all_three_earlier_files(sample, small_disk):
    _project, layers = sample
    disk = small_disk(6000)
    pdf, table, gpkg = _export(layers, disk, 0.1)
    _fill(disk, pdf.stat().st_size + table.stat().st_size + 24 * 1024)  # room for the new PDF and CSV only
    earlier = _snapshot(disk)
    with pytest.raises(ReportError) as raised:
        _export(layers, disk, 0.2)
    message = str(raised.value)
    assert "GeoPackage file" in message and str(gpkg) in message and len(message) < 400
    assert _snapshot(disk) == earlier
    rows = list(csv.DictReader(table.open(encoding="utf-8-sig", newline="")))
    assert {row["cutoff_pct"] for row in rows} == {"0.1"}


def test_exported_geopackage_is_whole_without_its_wal(sample, tmp_path):
    _project, layers = sample
    gpkg = _export(layers, tmp_path, 0.1)[2]
    assert gpkg.read_bytes()[18:20] == b"\x01\x01"  # SQLite header: rollback journal, not WAL (2, 2)
    assert not list(tmp_path.glob("*-wal")) and not list(tmp_path.glob("*-shm"))
    copy = tmp_path / "copy" / "only.gpkg"
    copy.parent.mkdir()
    shutil.copyfile(gpkg, copy)
    assert QgsVectorLayer(f"{copy}|layername={LAYER_NAME}", "c", "ogr").featureCount() == 2


def test_pdf_output_naming_a_folder_is_refused(sample_paths, tmp_path, qgis_processing):
    import processing

    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm

    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(QgsProcessingException, match="is a folder"):
        processing.run(
            ExportReportAlgorithm(),
            {
                "INPUT": sample_paths.zones,
                "GRADE": str(sample_paths.grade),
                "GRADE_UNIT": 0,
                "CUTOFF": 0.05,
                "DENSITY": 2.6,
                "THICKNESS_RASTER": str(sample_paths.thickness),
                "OUTPUT_PDF": str(folder),
            },
        )
    assert sorted(os.listdir(tmp_path)) == ["reports"] and not os.listdir(folder)


def test_a_layer_without_polygons_is_named_as_input(sample_paths, tmp_path, qgis_processing):
    """It was told in the dock's words: "no area chosen; select at least one zone or survey area"."""
    import processing

    from rare_earth_plugin.processing.export_report import ExportReportAlgorithm

    empty = QgsVectorLayer("Polygon?crs=EPSG:32643&field=name:string", "empty blocks", "memory")
    parameters = {
        "INPUT": empty,
        "GRADE": str(sample_paths.grade),
        "THICKNESS_RASTER": str(sample_paths.thickness),
        "OUTPUT_PDF": str(tmp_path / "r.pdf"),
    }
    with pytest.raises(QgsProcessingException, match="INPUT: the layer 'empty blocks' has no polygons to report"):
        processing.run(ExportReportAlgorithm(), parameters)
    assert not (tmp_path / "r.pdf").exists()
    parameters.clear()  # the refusal's traceback keeps this frame: a layer in it would outlive QGIS
    del empty


_KILLED_EXPORT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from qgis.core import QgsApplication
    app = QgsApplication([], False); app.initQgis()
    sys.path.insert(0, sys.argv[2])
    from rare_earth_plugin.areas import areas_from_layer
    from rare_earth_plugin.core.tonnage import TonnageParams
    from rare_earth_plugin.estimation import EstimateInputs
    from rare_earth_plugin.layers import load_sample_layers
    from rare_earth_plugin.report import export
    from rare_earth_plugin.report.area_results import estimate_areas
    from rare_earth_plugin.report.layout_builder import ReportLayers
    from rare_earth_plugin.report.texts import ReportMeta
    from qgis.core import QgsProject
    folder = Path(sys.argv[1]); project = QgsProject(); layers = load_sample_layers(project)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.3, thickness=50.0))
    results = estimate_areas(areas_from_layer(layers.zones), inputs)
    real_check = export.check_pdf
    def check_then_hang(path, pages):  # the PDF is written: now the kill comes, mid-export
        real_check(path, pages); print("written", flush=True); import time; time.sleep(120)
    export.check_pdf = check_then_hang
    export.write_report(results, inputs, ReportLayers([layers.zones], layers.grade, layers.region),
                        ReportMeta(date="2025", author="a", organisation="o"),
                        export.ReportTargets.checked(folder / "r.pdf", folder / "r.csv", folder / "r.gpkg"))
""")


def test_sigkill_mid_export_keeps_the_earlier_set_and_the_next_export_cleans_up(sample, tmp_path):
    _project, layers = sample
    _export(layers, tmp_path, 0.1)
    earlier = _snapshot(tmp_path)
    work = Path(os.environ.get("TMPDIR", "/tmp"))
    work_before = set(work.glob(f"{file_set.WORK_PREFIX}*"))
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_EXPORT, str(tmp_path), str(REPO)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        assert child.stdout.readline().strip() == "written"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    leftovers = set(os.listdir(tmp_path)) - set(earlier)
    assert any(file_set.TEMP_MARK in name for name in leftovers)
    assert _snapshot(tmp_path).items() >= earlier.items()
    # the chart images of the killed run (other processes' exports may come and go in the shared folder)
    killed = {
        path for path in set(work.glob(f"{file_set.WORK_PREFIX}*")) - work_before if f"-{child.pid}-" in path.name
    }
    assert killed

    _export(layers, tmp_path, 0.2)  # the next export: a new set, and nothing of the killed one
    assert sorted(os.listdir(tmp_path)) == sorted(earlier)
    assert not any(path.exists() for path in killed)


def _world_state(path: Path) -> tuple[str, bytes, list[str]]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), data[18:20], sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("journal", ["DELETE", "WAL"])
def test_the_qgis_world_map_is_never_written(sample, tmp_path, monkeypatch, journal):
    """A copy stands in for QGIS's own file (which tests must not touch): same bytes, same journal mode and
    no -wal or -shm beside it after exports while another process reads it. As Debian ships it (DELETE), and
    as older versions of this plugin left it (WAL)."""
    _project, layers = sample
    fake = tmp_path / "pkgdata"
    world = fake.joinpath(*WORLD_MAP)
    world.parent.mkdir(parents=True)
    shutil.copyfile(Path(QgsApplication.pkgDataPath()).joinpath(*WORLD_MAP), world)
    with contextlib.closing(sqlite3.connect(str(world), isolation_level=None)) as db:
        db.execute(f"PRAGMA journal_mode={journal}")
    for sidecar in world.parent.glob("*-*"):
        sidecar.unlink()
    before = _world_state(world)
    monkeypatch.setattr(QgsApplication, "pkgDataPath", staticmethod(lambda: str(fake)))
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
        import sqlite3, sys
        # a reader of a WAL file would make -wal and -shm itself: immutable=1 keeps the test's own hands off
        db = sqlite3.connect(f"file:{sys.argv[1]}?{sys.argv[2]}", uri=True, isolation_level=None)
        db.execute("BEGIN"); db.execute("SELECT count(*) FROM countries").fetchone()
        print("reading", flush=True); sys.stdin.read()
    """),
            str(world),
            "mode=ro" if journal == "DELETE" else "immutable=1",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "reading"
        for number in range(2):
            out = tmp_path / f"out{number}"
            out.mkdir()
            _export(layers, out, 0.1, fids=(1,), region=bool(number))  # region=False: the world map's
    finally:
        reader.stdin.close()
        reader.wait(10)
    assert _world_state(world) == before


def test_formula_names_are_neutralised_in_the_csv_only(sample, tmp_path):
    _project, layers = sample
    names = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "Plain −5"]
    areas = QgsVectorLayer("Polygon?crs=EPSG:32643&field=name:string", "Blocks", "memory")
    centre = layers.zones.extent().center()
    features = []
    for number, name in enumerate(names):
        feature = QgsFeature(areas.fields())
        feature.setAttribute("name", name)
        x = centre.x() + number * 500.0
        feature.setGeometry(
            QgsGeometry.fromWkt(
                f"POLYGON(({x} {centre.y()},{x + 400} {centre.y()},"
                f"{x + 400} {centre.y() + 400},{x} {centre.y() + 400},"
                f"{x} {centre.y()}))"
            )
        )
        features.append(feature)
    areas.dataProvider().addFeatures(features)
    inputs = EstimateInputs(layers.grade.source(), TonnageParams(cutoff=0.0, thickness=50.0))
    results = estimate_areas(areas_from_layer(areas), inputs)
    pdf, table, gpkg = write_report(
        results,
        inputs,
        ReportLayers([areas], layers.grade, layers.region),
        META,
        ReportTargets.checked(tmp_path / "f.pdf", tmp_path / "f.csv", tmp_path / "f.gpkg"),
    )
    rows = list(csv.DictReader(table.open(encoding="utf-8-sig", newline="")))
    assert [row["name"] for row in rows] == [f"'{name}" for name in names[:-1]] + ["Plain −5"]
    for row in rows:  # numbers stay numbers
        assert float(row["area_km2"]) == pytest.approx(0.16, rel=1e-3)
    stored = [f["name"] for f in QgsVectorLayer(f"{gpkg}|layername={LAYER_NAME}", "g", "ogr").getFeatures()]
    assert stored == names
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "=HYPERLINK" in text and "'=HYPERLINK" not in text and "@SUM(A1)" in text


def test_loading_and_exporting_the_sample_writes_nothing_we_ship(qgis_app, tmp_path):
    """QGIS writes band statistics into an .aux.xml beside a raster it shows: the sample ships them."""
    folder = sample_data_dir()

    def snapshot() -> dict[str, str]:
        return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}

    before = snapshot()
    project = QgsProject()
    layers = load_sample_layers(project)
    _export(layers, tmp_path, 0.1, fids=(1,))
    project.removeAllMapLayers()
    del layers
    assert snapshot() == before, "run `make sample-data` if the sample rasters changed without their .aux.xml"


def test_report_outputs_that_are_one_file_through_a_link_or_hold_other_layers_are_refused(tmp_path, qgis_app):
    """A CSV given as a link to the PDF replaced the PDF with the CSV; a GeoPackage of other layers given as the
    report's was written anew, its layers gone."""
    from osgeo import ogr

    from rare_earth_plugin.report.export import ReportTargets

    (tmp_path / "a.pdf").write_bytes(b"%PDF earlier")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.pdf")
    with pytest.raises(ReportError, match="must be different files"):
        ReportTargets.checked(tmp_path / "a.pdf", tmp_path / "b.csv")
    source = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp_path / "multi.gpkg"))
    for name in ("a", "b"):
        source.CreateLayer(name, geom_type=ogr.wkbPoint)
    source = None
    with pytest.raises(ReportError, match=r"multi\.gpkg holds other layers or tables \(a, b\)"):
        ReportTargets.checked(tmp_path / "r.pdf", None, tmp_path / "multi.gpkg").check_replaceable()
    assert (tmp_path / "a.pdf").read_bytes() == b"%PDF earlier"


def test_an_output_linked_into_a_read_only_folder_is_refused_before_the_export(
    qgis_app, tmp_path, read_only, small_disk
):
    """The folder checked was the link's, so the export ran to its end and failed with "QGIS error 3"."""
    from rare_earth_plugin.report.export import ReportTargets

    disk = small_disk(100)
    (disk / "real.pdf").write_bytes(b"%PDF earlier")
    read_only(disk)
    (tmp_path / "report.pdf").symlink_to(disk / "real.pdf")
    with pytest.raises(ReportError, match=rf"PDF file: cannot write in the folder '{re.escape(str(disk))}'"):
        ReportTargets.checked(tmp_path / "report.pdf")
    assert (disk / "real.pdf").read_bytes() == b"%PDF earlier"
