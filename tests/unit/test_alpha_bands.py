"""An alpha band masks its data band on every raster, on the grade grid or another, whatever GDAL's own mask says:
GDAL leaves the alpha band out of the mask of a band that declares a nodata, and ignores a floating-point alpha
band altogether, so junk under alpha 0 would count silently."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from conftest import EQUAL_AREA, ORIGIN_X, ORIGIN_Y
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from shapely.geometry import box

from rare_earth_plugin.core.tonnage import TonnageParams, estimate_tonnage

#: 20 x 20 cells of 10 m: the left half is transparent (alpha 0) and holds junk.
WHOLE = box(ORIGIN_X, ORIGIN_Y - 200, ORIGIN_X + 200, ORIGIN_Y)
RIGHT_HALF_M2 = 100.0 * 20 * 10


def with_alpha(path, values: np.ndarray, alpha_dtype: str, nodata, cell: float = 10.0):
    alpha = np.zeros(values.shape, dtype=alpha_dtype)
    alpha[:, values.shape[1] // 2 :] = 255
    profile = dict(
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=2,
        dtype=values.dtype.name,
        transform=from_origin(ORIGIN_X, ORIGIN_Y, cell, cell),
        crs=EQUAL_AREA,
        nodata=nodata,
        photometric="MINISBLACK",
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values, 1)
        dst.write(alpha.astype(values.dtype), 2)
        dst.colorinterp = (ColorInterp.gray, ColorInterp.alpha)
    return path


def junk_left(fill: float, junk: float, shape=(20, 20), dtype="float32") -> np.ndarray:
    values = np.full(shape, fill, dtype=dtype)
    values[:, : shape[1] // 2] = junk
    return values


@pytest.mark.parametrize("nodata", [None, -9999.0])
def test_grade_raster_alpha_masks_junk(tmp_path, nodata):
    grade = with_alpha(tmp_path / "g.tif", junk_left(0.2, 50.0), "uint8", nodata)
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=10.0, density=2.5))
    assert result.data_coverage == pytest.approx(0.5)
    assert result.mean_grade == pytest.approx(0.2, rel=1e-6)
    assert result.ore_tonnes == pytest.approx(RIGHT_HALF_M2 * 10.0 * 2.5, rel=1e-9)


def test_a_floating_point_alpha_band_masks_too(tmp_path):
    grade = with_alpha(tmp_path / "g.tif", junk_left(0.2, 50.0), "float32", None)
    result = estimate_tonnage(WHOLE, grade, TonnageParams(thickness=10.0, density=2.5))
    assert result.data_coverage == pytest.approx(0.5)
    assert result.mean_grade == pytest.approx(0.2, rel=1e-6)


@pytest.mark.parametrize("cell", [10.0, 5.0])  # the grade grid, and a finer one warped onto it
@pytest.mark.parametrize("role", ["thickness_raster", "density_raster"])
def test_thickness_and_density_alpha_with_a_nodata_masks_junk(make_raster, tmp_path, cell, role):
    grade = make_raster(np.full((20, 20), 0.2, dtype="float32"))
    size = int(200 / cell)
    other = with_alpha(tmp_path / "o.tif", junk_left(4.0, 500.0, (size, size)), "uint8", -1.0, cell=cell)
    constants = {"thickness": 10.0} if role == "density_raster" else {"density": 2.5}
    result = estimate_tonnage(WHOLE, grade, TonnageParams(**{role: other}, **constants))
    per_m2 = 4.0 * (2.5 if role == "thickness_raster" else 10.0)
    if cell == 10.0:
        assert result.data_coverage == pytest.approx(0.5)
        assert result.ore_tonnes == pytest.approx(RIGHT_HALF_M2 * per_m2, rel=1e-9)
    else:  # resampled: a grade cell touching the transparent edge may go missing, never count junk
        assert 0.44 <= result.data_coverage <= 0.5
        assert result.ore_tonnes == pytest.approx(result.data_coverage * 2 * RIGHT_HALF_M2 * per_m2, rel=1e-6)
