"""The committed sample data keeps its promises: synthetic and labelled so, on the stated grid, calibrated.

Calibration is re-measured here by 10 x 10 supersampling of every cell (rasterio's rasterize on a finer
grid), a method independent of the generator's exact coverage; the tonnage engine is checked too when present.
"""

from __future__ import annotations

import importlib.util
import itertools
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from osgeo import ogr, osr
from rasterio.features import rasterize
from rasterio.transform import Affine
from shapely import wkb
from shapely.geometry import mapping

from rare_earth_plugin.core import catalogue
from rare_earth_plugin.core.affine_ops import compose
from rare_earth_plugin.core.units import DEFAULT_DENSITY

ogr.UseExceptions()

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "sample_data"
RASTERS = (catalogue.GRADE_FILE, catalogue.THICKNESS_FILE)
CELL = 50.0
SUPERSAMPLE = 10
IRGIZ_CUTOFF = 0.10
#: Targets (t of TREO) and the tolerance the issue allows.
IRGIZ_TARGET, CLUSTER_TARGET, TOLERANCE = 0.8e6, 20.0e6, 0.10


def read_zones(path: Path = DATA / catalogue.ZONES_FILE) -> dict[str, dict]:
    dataset = ogr.Open(str(path))
    layer = dataset.GetLayerByName(catalogue.ZONES_LAYER)
    zones = {
        f.GetField("name"): {**f.items(), "geometry": wkb.loads(bytes(f.GetGeometryRef().ExportToIsoWkb()))}
        for f in layer
    }
    dataset = None
    return zones


def read_band(name: str, folder: Path = DATA) -> tuple[np.ndarray, Affine]:
    with rasterio.open(folder / name) as src:
        return src.read(1, masked=True), src.transform


@pytest.fixture(scope="module")
def zones() -> dict[str, dict]:
    return read_zones()


@pytest.fixture(scope="module")
def grade() -> tuple[np.ndarray, Affine]:
    return read_band(catalogue.GRADE_FILE)


@pytest.fixture(scope="module")
def thickness() -> np.ndarray:
    return read_band(catalogue.THICKNESS_FILE)[0]


def supersampled_cover(geometry, transform: Affine, shape_: tuple[int, int]) -> np.ndarray:
    """Fraction of each cell inside ``geometry``, from the centres of 10 x 10 sub-cells."""
    fine = rasterize(
        [mapping(geometry)],
        out_shape=(shape_[0] * SUPERSAMPLE, shape_[1] * SUPERSAMPLE),
        transform=compose(transform, Affine.scale(1.0 / SUPERSAMPLE)),
        dtype="uint8",
    )
    return fine.reshape(shape_[0], SUPERSAMPLE, shape_[1], SUPERSAMPLE).mean(axis=(1, 3))


def contained_treo(cover: np.ndarray, grade: np.ndarray, thickness: np.ndarray, cutoff: float) -> float:
    use = cover * (grade.filled(-1.0) >= cutoff)
    tonnes = use * CELL * CELL * thickness.filled(0.0) * DEFAULT_DENSITY
    return float(np.sum(tonnes * grade.filled(0.0) / 100.0))


def test_files_exist_and_stay_small() -> None:
    names = [catalogue.ZONES_FILE, catalogue.REGION_FILE, *RASTERS, "README.md"]
    assert all((DATA / n).is_file() for n in names)
    assert sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file()) < 5 * 1024 * 1024


@pytest.mark.parametrize("name", RASTERS)
def test_raster_format(name: str) -> None:
    with rasterio.open(DATA / name) as src:
        assert src.crs.to_epsg() == 32643
        assert src.res == (CELL, CELL)
        assert src.dtypes == ("float32",)
        assert src.nodata == -9999.0
        assert src.profile["tiled"] and src.block_shapes == [(256, 256)]
        structure = src.tags(ns="IMAGE_STRUCTURE")
        assert structure["COMPRESSION"] == "DEFLATE" and structure["PREDICTOR"] == "3"
        tags = src.tags()
        assert tags["STATUS"] == catalogue.STATUS_SYNTHETIC
        assert "synthetic" in tags["TIFFTAG_IMAGEDESCRIPTION"].lower() and tags["SOURCE"]


def test_rasters_share_grid_and_nodata_mask(grade, thickness) -> None:
    with rasterio.open(DATA / catalogue.GRADE_FILE) as a, rasterio.open(DATA / catalogue.THICKNESS_FILE) as b:
        assert (a.transform, a.shape) == (b.transform, b.shape)
    assert grade[0].mask.any(), "the sample lake should be nodata"
    assert np.array_equal(grade[0].mask, thickness.mask)


def test_zone_fields_names_and_kinds(zones) -> None:
    dataset = ogr.Open(str(DATA / catalogue.ZONES_FILE))
    layer = dataset.GetLayerByName(catalogue.ZONES_LAYER)
    srs = layer.GetSpatialRef()
    assert srs is not None and srs.IsSame(_srs_from_epsg(32643))
    definition = layer.GetLayerDefn()
    assert [definition.GetFieldDefn(i).GetName() for i in range(definition.GetFieldCount())] == [
        "name",
        "kind",
        "status",
        "note",
    ]
    dataset = None
    assert {n: z["kind"] for n, z in zones.items()} == {z.name: z.kind for z in catalogue.SAMPLE_ZONES}
    assert all(z["status"] == catalogue.STATUS_SYNTHETIC and z["note"] for z in zones.values())
    assert all(z["geometry"].is_valid for z in zones.values())


@pytest.mark.parametrize(
    "file, layer", [(catalogue.ZONES_FILE, catalogue.ZONES_LAYER), (catalogue.REGION_FILE, catalogue.REGION_LAYER)]
)
def test_layer_descriptions_state_their_nature(file: str, layer: str) -> None:
    with sqlite3.connect(DATA / file) as db:
        (description,) = db.execute("SELECT description FROM gpkg_contents WHERE table_name = ?", (layer,)).fetchone()
    expected = "synthetic" if file == catalogue.ZONES_FILE else "public domain"
    assert expected in description.lower()


def test_zone_areas(zones) -> None:
    area = {name: z["geometry"].area / 1e6 for name, z in zones.items()}
    kinds = {name: z["kind"] for name, z in zones.items()}
    (licence,) = [n for n, k in kinds.items() if k == catalogue.KIND_LICENCE]
    (cluster,) = [n for n, k in kinds.items() if k == catalogue.KIND_PROGNOSTIC]
    assert area[licence] == pytest.approx(64.2, rel=0.02)
    assert 135.0 <= area[cluster] <= 141.0
    prospective = [n for n, k in kinds.items() if k == catalogue.KIND_PROSPECTIVE]
    assert sorted(prospective) == ["Dos 1", "Dos 2", "Dos 3", "Irgiz"]
    assert all(0.8 <= area[n] <= 2.5 for n in prospective)


def test_zone_layout(zones) -> None:
    licence = zones["Kuirektykol licence"]["geometry"]
    cluster = zones["Jana Kazakhstan"]["geometry"]
    assert licence.intersection(cluster).area / licence.area > 0.8
    assert cluster.bounds[0] < licence.bounds[0] and cluster.bounds[1] < licence.bounds[1]  # south and west
    prospective = [zones[n]["geometry"] for n in ("Irgiz", "Dos 1", "Dos 2", "Dos 3")]
    assert all(licence.contains(p) for p in prospective)
    assert all(a.intersection(b).area == 0.0 for a, b in itertools.combinations(prospective, 2))


def test_licence_is_whole_minute_blocks(zones) -> None:
    """Back in geographic coordinates every vertex lies on the 1-arc-minute grid."""
    from pyproj import Transformer

    to_geo = Transformer.from_crs(catalogue.SAMPLE_CRS, "EPSG:4326", always_xy=True)
    x, y = np.asarray(zones["Kuirektykol licence"]["geometry"].exterior.coords).T
    lon, lat = to_geo.transform(x, y)
    on_grid = np.isclose(lon * 60, np.round(lon * 60), atol=1e-6) | np.isclose(lat * 60, np.round(lat * 60), atol=1e-6)
    assert on_grid.all()
    assert 49.9 < lat.mean() < 50.1 and 76.3 < lon.mean() < 76.5


def test_grade_levels_and_hot_spots(zones, grade) -> None:
    values, transform = grade
    cover = {n: supersampled_cover(z["geometry"], transform, values.shape) for n, z in zones.items()}
    peaks = {n: float(values[cover[n] > 0].max()) for n in ("Irgiz", "Dos 1", "Dos 2", "Dos 3")}
    assert 0.20 <= peaks["Irgiz"] <= 0.25 and 0.20 <= peaks["Dos 2"] <= 0.25
    assert float(values.max()) == max(peaks["Irgiz"], peaks["Dos 2"])
    assert peaks["Dos 1"] < 0.20 and peaks["Dos 3"] < 0.20
    cluster = zones["Jana Kazakhstan"]["geometry"]
    cluster_core = supersampled_cover(cluster.buffer(-1000.0), transform, values.shape) == 1.0
    far = supersampled_cover(cluster.buffer(1500.0), transform, values.shape) == 0.0
    assert float(np.ma.median(values[far])) == pytest.approx(0.02, abs=0.005)
    assert float(np.ma.median(values[cluster_core])) == pytest.approx(0.07, abs=0.01)
    irgiz_inner = supersampled_cover(zones["Irgiz"]["geometry"].buffer(-50.0), transform, values.shape) == 1.0
    assert float(values[irgiz_inner].min()) > IRGIZ_CUTOFF


def test_thickness_range(thickness) -> None:
    assert float(thickness.min()) >= 0.0 and float(thickness.max()) <= 300.0


def test_nodata_outside_zones(zones, grade) -> None:
    values, transform = grade
    touched = rasterize(
        [mapping(z["geometry"]) for z in zones.values()],
        out_shape=values.shape,
        transform=transform,
        all_touched=True,
        dtype="uint8",
    ).astype(bool)
    assert not (values.mask & touched).any()


def test_calibration(zones, grade, thickness) -> None:
    values, transform = grade
    irgiz = supersampled_cover(zones["Irgiz"]["geometry"], transform, values.shape)
    cluster = supersampled_cover(zones["Jana Kazakhstan"]["geometry"], transform, values.shape)
    irgiz_t = contained_treo(irgiz, values, thickness, IRGIZ_CUTOFF)
    assert irgiz_t == pytest.approx(IRGIZ_TARGET, rel=TOLERANCE)
    assert contained_treo(cluster, values, thickness, 0.0) == pytest.approx(CLUSTER_TARGET, rel=TOLERANCE)


@pytest.mark.skipif(
    importlib.util.find_spec("rare_earth_plugin.core.tonnage") is None, reason="tonnage engine not available"
)
def test_calibration_with_tonnage_engine(zones) -> None:
    from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

    grade_path, thickness_path = (str(DATA / n) for n in RASTERS)
    cases = [("Irgiz", IRGIZ_CUTOFF, IRGIZ_TARGET), ("Jana Kazakhstan", 0.0, CLUSTER_TARGET)]
    for name, cutoff, target in cases:
        params = TonnageParams(cutoff=cutoff, thickness_raster=thickness_path, density=DEFAULT_DENSITY)
        result = estimate_tonnage(zones[name]["geometry"], grade_path, params=params)
        assert result.treo_tonnes == pytest.approx(target, rel=TOLERANCE), name
        assert result.data_coverage == pytest.approx(1.0), name


def test_readme_states_nature_and_sources() -> None:
    text = (DATA / "README.md").read_text(encoding="utf-8").lower()
    for phrase in (
        "synthetic",
        "illustrative",
        "oxide",
        "metal",
        "public domain",
        "natural earth",
        "2 april 2025",
        f"{DEFAULT_DENSITY:.2f} t/m3",
        "make_sample_data.py",
    ):
        assert phrase in text, phrase


@pytest.mark.skipif(
    not Path("/usr/share/qgis/resources/data/world_map.gpkg").is_file(),
    reason="QGIS world map (Natural Earth) not installed",
)
def test_generator_reproduces_committed_values(tmp_path: Path, zones) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_sample_data.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in RASTERS:
        fresh, committed = read_band(name, tmp_path)[0], read_band(name, DATA)[0]
        assert np.array_equal(fresh.mask, committed.mask)
        np.testing.assert_allclose(fresh.filled(0.0), committed.filled(0.0), rtol=1e-6, atol=1e-6)
    fresh_zones = read_zones(tmp_path / catalogue.ZONES_FILE)
    assert fresh_zones.keys() == zones.keys()
    for name, zone in zones.items():
        assert fresh_zones[name]["geometry"].symmetric_difference(zone["geometry"]).area < 1.0, name


def _srs_from_epsg(code: int) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(code)
    return srs
