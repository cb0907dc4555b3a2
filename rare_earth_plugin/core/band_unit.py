"""The grade unit a raster band declares (GDAL unit type "%", "ppm", "g/t"...), to check the user's choice.

Choosing ppm for a band in percent divides every grade by 10,000 and leaves no cell above a cut-off: the
figures are silently zero. The band's own unit, when it has one, catches that.
"""

from __future__ import annotations

import warnings

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from .units import PERCENT, PPM, UNIT_LABELS

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
