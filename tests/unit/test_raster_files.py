"""Every file GDAL reads for a raster: checked before it is read (FIFOs never block), watched while a dataset is
kept open (a changed VRT source, .aux.xml or .msk is seen), and found inside GDAL connection strings."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import threading
import time

import numpy as np
import pytest
import rasterio
from conftest import EQUAL_AREA, ORIGIN_X, ORIGIN_Y, write_geotiff
from osgeo import gdal
from rasterio.transform import from_origin
from shapely.geometry import box

from rare_earth_plugin.core.limits import EngineLimits
from rare_earth_plugin.core.tonnage import TonnageInputError, TonnageParams, estimate_tonnage

gdal.UseExceptions()
WHOLE = box(ORIGIN_X, ORIGIN_Y - 100, ORIGIN_X + 100, ORIGIN_Y)  # 10 x 10 cells of 100 m2, map area = ground area
SETTLED = EngineLimits(timestamp_granularity_ns=0)  # only a changed signature may reopen a dataset
GRID = from_origin(ORIGIN_X, ORIGIN_Y, 10.0, 10.0)


def tif(path, value, dtype="float32") -> str:
    write_geotiff(path, np.full((10, 10), value, dtype=dtype), GRID)
    return str(path)


def grade_of(path, **params) -> float:
    return estimate_tonnage(WHOLE, str(path), TonnageParams(thickness=1.0, **params), limits=SETTLED).mean_grade


def aux_xml(path, scale: float) -> None:
    with open(str(path) + ".aux.xml", "w") as handle:
        handle.write(f'<PAMDataset><PAMRasterBand band="1"><Scale>{scale}</Scale></PAMRasterBand></PAMDataset>')


def test_a_replaced_vrt_source_is_seen_by_the_next_estimate(tmp_path):
    source = tif(tmp_path / "src.tif", 0.5)
    vrt = str(tmp_path / "mosaic.vrt")
    gdal.Translate(vrt, source, format="VRT")
    assert grade_of(vrt) == pytest.approx(0.5)
    tif(tmp_path / "new.tif", 0.9)
    os.replace(tmp_path / "new.tif", source)
    assert grade_of(vrt) == pytest.approx(0.9)


def test_a_changed_or_new_aux_xml_is_seen_by_the_next_estimate(tmp_path):
    grade = tif(tmp_path / "g.tif", 500, "int16")
    assert grade_of(grade) == pytest.approx(500.0)
    aux_xml(grade, 0.001)  # appears
    assert grade_of(grade) == pytest.approx(0.5)
    aux_xml(grade, 0.002)  # same size, rewritten
    assert grade_of(grade) == pytest.approx(1.0)
    thickness = tif(tmp_path / "t.tif", 20, "int16")
    aux_xml(thickness, 0.1)
    params = TonnageParams(thickness_raster=thickness, density=1.0)
    assert estimate_tonnage(WHOLE, grade, params, limits=SETTLED).ore_tonnes == pytest.approx(1e4 * 2.0)
    aux_xml(thickness, 0.2)
    assert estimate_tonnage(WHOLE, grade, params, limits=SETTLED).ore_tonnes == pytest.approx(1e4 * 4.0)


@pytest.mark.parametrize("suffix", [".MSK", ".msk"])
def test_a_mask_sidecar_in_either_case_that_appears_is_seen(tmp_path, suffix):
    grade = tif(tmp_path / "g.tif", 0.5)
    assert estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0), limits=SETTLED).data_coverage == pytest.approx(
        1.0
    )
    masked = tif(tmp_path / "m.tif", 0.5)
    half = np.full((10, 10), 255, np.uint8)
    half[:, :5] = 0
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=False), rasterio.open(masked, "r+") as dst:
        dst.write_mask(half)
    shutil.copy(masked + ".msk", grade + suffix)
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=1.0), limits=SETTLED)
    assert result.data_coverage == pytest.approx(0.5, abs=1e-9)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")  # until the world file exists
@pytest.mark.parametrize("world", [".tfw", ".TFW", ".tifw", ".wld"])
def test_a_world_file_that_appears_is_seen(tmp_path, world):
    """A TIFF without georeferencing of its own is refused, naming it; a world file written after that first
    estimate places it."""
    grade = str(tmp_path / "g.tif")
    with rasterio.open(grade, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32") as dst:
        dst.write(np.full((1, 10, 10), 0.5, np.float32))
    square = box(0, 0, 100, 100)  # in the raster's own units: 10 x 10 m cells once the world file places them
    with pytest.raises(TonnageInputError, match=f"{re.escape(grade)} is not georeferenced"):
        estimate_tonnage(square, grade, TonnageParams(thickness=1.0, density=1.0), limits=SETTLED)
    with open(os.path.splitext(grade)[0] + world, "w") as handle:
        handle.write("10\n0\n0\n-10\n5\n95\n")  # 10 m cells, upper-left cell centre (5, 95)
    again = estimate_tonnage(square, grade, TonnageParams(thickness=1.0, density=1.0), limits=SETTLED)
    assert again.ore_tonnes == pytest.approx(100 * 100.0)


def test_a_geopackage_written_in_wal_mode_is_seen_before_its_checkpoint(tmp_path):
    import sqlite3

    from osgeo import osr

    path = str(tmp_path / "g.gpkg")
    dataset = gdal.GetDriverByName("GPKG").Create(
        path, 10, 10, 1, gdal.GDT_Float32, options=["TILE_FORMAT=TIFF", "RASTER_TABLE=grade"]
    )
    dataset.SetGeoTransform((ORIGIN_X, 10, 0, ORIGIN_Y, 0, -10))
    srs = osr.SpatialReference()
    srs.SetFromUserInput(EQUAL_AREA)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.GetRasterBand(1).WriteArray(np.full((10, 10), 0.5, np.float32))
    dataset = None
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    name = f"GPKG:{path}:grade"
    assert grade_of(name) == pytest.approx(0.5)
    writer = gdal.Open(path, gdal.GA_Update)  # kept open: the new tiles stay in the -wal file
    writer.GetRasterBand(1).WriteArray(np.full((10, 10), 1.0, np.float32))
    writer.FlushCache()
    try:
        assert grade_of(name) == pytest.approx(1.0)
    finally:
        writer = None


def finishes(fifo: str, call) -> TonnageInputError:
    """The error ``call`` raises within 10 s; a blocked call is unblocked (a writer opens the FIFO) and fails."""
    outcome: list = []

    def run() -> None:
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10.0)
    if worker.is_alive():
        with contextlib.suppress(OSError):  # no reader (ENXIO): nothing to unblock, and never block here
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the engine blocked on a FIFO")
    assert outcome and isinstance(outcome[0], TonnageInputError), outcome
    return outcome[0]


#: Sidecars GDAL finds by listing the raster's folder (metadata of DigitalGlobe, RPCs, Landsat, ISO XML): named
#: from the raster's name without its extension.
_LISTED_SIDECARS = {"IMD sidecar": ".IMD", "RPC sidecar": "_RPC.TXT", "MTL sidecar": "_MTL.txt", "xml sidecar": ".xml"}
#: Files GDAL's metadata readers look for in the raster's folder whatever its name (SPOT, ALOS).
_FIXED_SIDECARS = {"DIM metadata": "METADATA.DIM", "ALOS summary": "summary.txt"}


@pytest.mark.parametrize(
    "kind", ["vrt source", "vsigzip", "vsizip", "msk sidecar", "aux.xml sidecar", *_LISTED_SIDECARS, *_FIXED_SIDECARS]
)
@pytest.mark.parametrize("role", ["grade raster", "thickness raster"])
def test_a_fifo_anywhere_gdal_reads_does_not_block(tmp_path, kind, role):
    (tmp_path / "grade").mkdir()  # a folder of its own: a pipe in a raster's folder refuses that raster
    grade = tif(tmp_path / "grade" / "g.tif", 0.5)
    fifo = str(tmp_path / "pipe.tif")
    os.mkfifo(fifo)
    if kind == "vrt source":
        source = tif(tmp_path / "src.tif", 2.0)
        name = str(tmp_path / "m.vrt")
        gdal.Translate(name, source, format="VRT")
        with open(name) as handle:
            text = handle.read()
        with open(name, "w") as handle:
            handle.write(text.replace("src.tif", "pipe.tif"))
    elif kind.startswith("vsi"):
        name = f"/{kind}/{fifo}" + ("/inner.tif" if kind == "vsizip" else "")
    elif kind in _LISTED_SIDECARS:
        name = tif(tmp_path / "t.tif", 2.0)
        os.rename(fifo, str(tmp_path / "t") + _LISTED_SIDECARS[kind])
        fifo = str(tmp_path / "t") + _LISTED_SIDECARS[kind]
    elif kind in _FIXED_SIDECARS:
        name = tif(tmp_path / "t.tif", 2.0)
        os.rename(fifo, str(tmp_path / _FIXED_SIDECARS[kind]))
        fifo = str(tmp_path / _FIXED_SIDECARS[kind])
    else:
        name = tif(tmp_path / "t.tif", 2.0)
        os.rename(fifo, name + (".msk" if kind == "msk sidecar" else ".aux.xml"))
        fifo = name + (".msk" if kind == "msk sidecar" else ".aux.xml")
    if role == "grade raster":
        error = finishes(fifo, lambda: estimate_tonnage(WHOLE, name, TonnageParams(thickness=1.0)))
    else:
        error = finishes(fifo, lambda: estimate_tonnage(WHOLE, grade, TonnageParams(thickness_raster=name)))
    assert str(error).startswith(role) and "not a regular file" in str(error)
    assert os.path.basename(fifo) in str(error)


def test_gdal_connection_strings_are_read(tmp_path):
    grade = tif(tmp_path / "g.tif", 0.5)
    gpkg = str(tmp_path / "r.gpkg")
    gdal.Translate(gpkg, grade, format="GPKG", creationOptions=["RASTER_TABLE=grade"])
    two = str(tmp_path / "two.tif")  # a second directory (a reduced copy) after the full-size one
    gdal.Translate(two, grade)
    gdal.Translate(str(tmp_path / "small.tif"), grade, width=5, height=5)
    gdal.Translate(two, str(tmp_path / "small.tif"), creationOptions=["APPEND_SUBDATASET=YES"])
    nc = str(tmp_path / "r.nc")
    gdal.Translate(nc, grade, format="netCDF")
    variable = "Band1"
    for name in (f"GPKG:{gpkg}:grade", f'NETCDF:"{nc}":{variable}', f"GTIFF_DIR:1:{two}", f"GTIFF_DIR:2:{two}"):
        result = estimate_tonnage(WHOLE, name, TonnageParams(thickness=2.0, density=1.0), polygon_crs=EQUAL_AREA)
        assert result.mean_grade == pytest.approx(0.5), name
        assert result.ore_tonnes == pytest.approx(1e4 * 2.0, rel=1e-6), name
    with pytest.raises(TonnageInputError, match=r"grade raster: .*gone\.gpkg"):
        estimate_tonnage(WHOLE, f"GPKG:{tmp_path}/gone.gpkg:grade", TonnageParams(thickness=1.0))


def test_a_vrt_connection_over_a_vsi_path_is_read(tmp_path):
    """``vrt://`` wraps any name GDAL opens: a /vsizip/ path inside it is followed, not taken for a missing file."""
    import zipfile

    source = tif(tmp_path / "g.tif", 0.5)
    archive = tmp_path / "g.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(source, "g.tif")
    assert grade_of(f"vrt:///vsizip/{archive}/g.tif?bands=1") == pytest.approx(0.5)


def test_with_settled_folders_only_the_files_present_are_looked_at_and_changes_are_still_seen(tmp_path, monkeypatch):
    """A plain loop stats the raster and its present sidecars only while their folder is unchanged; a sidecar
    appearing or going changes the folder, one rewritten in place its own times."""
    grade = tif(tmp_path / "g.tif", 500, "int16")
    lookups: list[str] = []
    real_lexists = os.path.lexists
    monkeypatch.setattr(os.path, "lexists", lambda path: lookups.append(path) or real_lexists(path))

    def settle() -> None:  # older than a timestamp tick, and seen so by the kept dataset
        time.sleep(0.06)
        grade_of(grade)
        lookups.clear()

    settle()
    assert grade_of(grade) == pytest.approx(500.0)
    assert lookups == []
    aux_xml(grade, 0.001)  # appears
    assert grade_of(grade) == pytest.approx(0.5)
    settle()
    aux_xml(grade, 0.002)  # rewritten in place: the folder stays as it was
    assert grade_of(grade) == pytest.approx(1.0)
    settle()
    os.remove(grade + ".aux.xml")  # gone
    assert grade_of(grade) == pytest.approx(500.0)
    settle()
    tif(tmp_path / "new.tif", 700, "int16")
    os.replace(tmp_path / "new.tif", grade)  # replaced by a rename
    assert grade_of(grade) == pytest.approx(700.0)


def test_a_removed_aux_xml_is_a_change_not_a_missing_file(tmp_path):
    """GDAL lists the .aux.xml among the dataset's files; removed, it was reported as a file not found."""
    grade = tif(tmp_path / "g.tif", 500, "int16")
    aux_xml(grade, 0.001)
    assert grade_of(grade) == pytest.approx(0.5)
    os.remove(grade + ".aux.xml")
    assert grade_of(grade) == pytest.approx(500.0)
