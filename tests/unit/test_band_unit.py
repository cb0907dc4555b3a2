"""The band's declared grade unit and the warning when the user's choice contradicts it."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from rare_earth_plugin.core.band_unit import declared_unit, mismatch_warning, unit_from_text
from rare_earth_plugin.core.units import PERCENT, PPM


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("%", PERCENT),
        (" Percent ", PERCENT),
        ("wt%", PERCENT),
        ("ppm", PPM),
        ("g/t", PPM),
        ("mg/kg", PPM),
        ("m", None),
        ("", None),
        (None, None),
        ("t/m3", None),
    ],
)
def test_unit_spellings(text, unit):
    assert unit_from_text(text) == unit


def _with_units(make_raster, units: tuple[str, ...]):
    path = make_raster(np.full((len(units), 3, 3), 0.1, dtype="float32"))
    with rasterio.open(path, "r+") as dst:
        dst.units = units
    return str(path)


def test_declared_unit_per_band(make_raster):
    path = _with_units(make_raster, ("%", "ppm", ""))
    assert [declared_unit(path, band) for band in (1, 2, 3, 4)] == [PERCENT, PPM, None, None]


def test_no_crs_raster_is_read_without_a_warning(make_raster, recwarn):
    path = make_raster(np.full((3, 3), 500.0, dtype="float32"), crs=None)
    with rasterio.open(path, "r+") as dst:
        dst.units = ("ppm",)
    assert declared_unit(str(path), 1) == PPM
    assert not [w for w in recwarn if "georeferenc" in str(w.message).lower()]


def test_unreadable_file_declares_nothing(tmp_path):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    assert declared_unit(str(broken), 1) is None and declared_unit(str(tmp_path / "gone.tif"), 1) is None


def test_mismatch_warns_with_the_direction_and_the_fix():
    text = mismatch_warning(PERCENT, PPM, "grade.tif")
    assert "grade.tif" in text and "declares its unit as %" in text and "10,000 times too small" in text
    assert "Choose %" in text
    assert "too large" in mismatch_warning(PPM, PERCENT, "g.tif")
    assert mismatch_warning(PERCENT, PERCENT, "g.tif") == "" and mismatch_warning(None, PPM, "g.tif") == ""


def test_sample_grade_raster_declares_percent():
    from rare_earth_plugin.core import catalogue
    from rare_earth_plugin.paths import sample_data

    assert declared_unit(str(sample_data(catalogue.GRADE_FILE)), 1) == PERCENT
