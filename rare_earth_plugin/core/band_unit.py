"""The unit a raster band declares (GDAL unit type "%", "ppm", "ft", "kg/m3"...), to check the user's choice.

Choosing ppm for a band in percent divides every grade by 10,000 and leaves no cell above a cut-off: the
figures are silently zero. The band's own unit, when it has one, catches that. A thickness band in feet or a
density band in kg/m3 is converted to the metres and t/m3 the engine counts in.
"""

from __future__ import annotations

import warnings

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from .units import PERCENT, PPM, UNIT_LABELS

#: A band value this large or larger is a fill value, not data: float32's largest (3.4e38), Surfer's blank
#: (1.70141e38), netCDF's default fill (9.97e36). Undeclared, it was summed as a grade or thickness of 1e38.
FILL_FROM = 1e30


def holds_data(values: np.ndarray) -> np.ndarray:
    """Where physical band values (grade, thickness, density, top depth) are data: not NaN, not negative
    (undeclared nodata such as -9999 or float32's lowest) and below ``FILL_FROM``."""
    found = values >= 0
    if not np.issubdtype(values.dtype, np.integer):  # an integer holds no fill value that large
        found &= values < FILL_FROM
    return found


#: Unit-type spellings met in GeoTIFFs and other GDAL rasters, lower case, for each grade unit.
_SPELLINGS = {
    PERCENT: {"%", "percent", "pct", "wt%", "wt %", "weight percent", "% treo", "percent treo"},
    PPM: {"ppm", "g/t", "gpt", "mg/kg", "ppm treo", "parts per million"},
}


def unit_from_text(text: str | None) -> str | None:
    """The grade unit a unit-type text stands for; None for none or anything else (metres, blanks)."""
    spelled = " ".join((text or "").strip().lower().split())
    return next((unit for unit, spellings in _SPELLINGS.items() if spelled in spellings), None)


def declared_unit(path: str, band: int) -> str | None:
    """The grade unit band ``band`` (1-based) of ``path`` declares; None when it declares none or cannot be
    read (the estimate reports unreadable files itself)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as source:
                if not 1 <= band <= source.count:
                    return None
                return unit_from_text(source.units[band - 1])
    except (RasterioError, OSError, ValueError):
        return None


def mismatch_warning(declared: str | None, chosen: str, name: str) -> str:
    """A plain warning when the chosen unit contradicts the band's; '' when they agree or nothing is known."""
    if declared is None or declared == chosen:
        return ""
    factor = "10,000 times too small" if chosen == PPM else "10,000 times too large"
    return (
        f"The grade raster '{name}' declares its unit as {UNIT_LABELS[declared]}, but "
        f"{UNIT_LABELS[chosen]} is chosen: grades would be read {factor}. Choose {UNIT_LABELS[declared]}."
    )


_US_FOOT = 1200.0 / 3937.0
#: Per unit a thickness or top-depth band may declare: metres per unit.
_LENGTHS = {
    **dict.fromkeys(("m", "metre", "meter", "metres", "meters"), 1.0),
    **dict.fromkeys(("ft", "foot", "feet", "international foot"), 0.3048),
    **dict.fromkeys(
        ("us-ft", "us_ft", "ftus", "ft_us", "foot_us", "us survey foot", "us_survey_foot", "us survey feet"), _US_FOOT
    ),
    **dict.fromkeys(("cm", "centimetre", "centimeter"), 0.01),
    **dict.fromkeys(("mm", "millimetre", "millimeter"), 0.001),
    **dict.fromkeys(("km", "kilometre", "kilometer"), 1000.0),
}
#: Per unit a density band may declare: t/m3 per unit.
_DENSITIES = {
    **dict.fromkeys(("t/m3", "t/m³", "t m-3", "g/cm3", "g/cm³", "g/cc", "g cm-3", "sg"), 1.0),
    **dict.fromkeys(("kg/m3", "kg/m³", "kg m-3"), 1e-3),
}
_KINDS = {
    "thickness raster": (_LENGTHS, "metres"),
    "top depth raster": (_LENGTHS, "metres"),
    "density raster": (_DENSITIES, "t/m³"),
}


def physical_factor(text: str | None, role: str, name: str) -> tuple[float, str]:
    """What a thickness, top-depth or density band's values are multiplied by to be in metres or t/m3, from the
    unit it declares, and what to tell the user ('' when it declares none or the engine's own)."""
    spelled = " ".join((text or "").strip().lower().split())
    if not spelled or role not in _KINDS:
        return 1.0, ""
    known, engine_unit = _KINDS[role]
    factor = known.get(spelled)
    shown = (text or "").strip()
    if factor is None:
        return 1.0, f"The {role} {name} declares its unit as '{shown}': its values are taken as {engine_unit}"
    if factor == 1.0:
        return 1.0, ""
    return factor, f"The {role} {name} is in {shown}: its values are converted to {engine_unit} (x {factor:.6g})"


def grade_unit_warning(text: str | None, chosen: str, name: str) -> str:
    """``mismatch_warning`` for the unit text a grade band declares."""
    return mismatch_warning(unit_from_text(text), chosen, name)
