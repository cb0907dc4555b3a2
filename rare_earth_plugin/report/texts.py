"""The report's words: title, assumptions and disclaimer, built from the inputs the figures came from.

Kept apart from the layout so the wording can be checked without QGIS and stays the same in every export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.depth_window import depth_window_text, top_depth_text
from ..core.target_ranges import TargetRanges
from ..core.target_text import code_in_prose
from ..core.tonnage import TonnageParams
from ..core.units import UNIT_LABELS

#: Where a text is cut short, in every box of the report.
ELLIPSIS = "…"

DEFAULT_TITLE = "Rare-earth exploration targets"
BYLINE_SEPARATOR = "   ·   "

#: Opens the disclaimer only when a file of the plugin's sample data is an input.
SAMPLE_NOTE = "Synthetic sample data."
DISCLAIMER = (
    "These figures are an exploration target, not a Mineral Resource or Ore Reserve "
    "under KAZRC or JORC: the quantity and grade are conceptual, exploration has been insufficient to "
    "estimate a Mineral Resource, and it is uncertain whether further exploration will define one."
)


def disclaimer(reporting_code: str | None = None) -> str:
    """``DISCLAIMER`` under the reporting code the user chose for the targets (default: KAZRC or JORC)."""
    if not reporting_code:
        return DISCLAIMER
    return DISCLAIMER.replace("under KAZRC or JORC", f"under {code_in_prose(reporting_code)}")


@dataclass(frozen=True)
class ReportMeta:
    """Who made the report and when; a blank title falls back to the default, a blank author or organisation
    is left out of the byline rather than printed as a placeholder on a page someone signs."""

    title: str = DEFAULT_TITLE
    date: str = ""
    author: str = ""
    organisation: str = ""
    logo: str = ""  # an image file for the header; none when empty

    def filled(self) -> ReportMeta:
        return ReportMeta(
            title=self.title.strip() or DEFAULT_TITLE,
            date=self.date.strip(),
            author=self.author.strip(),
            organisation=self.organisation.strip(),
            logo=self.logo.strip(),
        )

    def byline(self) -> str:
        """The header line under the title: date, author and organisation, blanks left out."""
        parts = (self.date.strip(), self.author.strip(), self.organisation.strip())
        return BYLINE_SEPARATOR.join(part for part in parts if part)


def one_line(text: str) -> str:
    """``text`` with its line breaks and tabs as spaces: a name or title in a slot of one line (a page title,
    a legend entry) would otherwise run into what lies under it."""
    return " ".join(text.splitlines()).replace("\t", " ")


def location_text(lon: float, lat: float) -> str:
    """A place as "47.5° N, 74.8° E": true wherever the areas lie, unlike a fixed country or region name."""
    north = "S" if round(lat, 1) < 0 else "N"
    east = "W" if round(lon, 1) < 0 else "E"
    return f"{abs(lat):.1f}° {north}, {abs(lon):.1f}° {east}"


def _file(path: object, length: int | None = None) -> str:
    """A file's name; cut in the middle to ``length`` characters with ``ELLIPSIS`` when given and longer."""
    name = Path(str(path)).name
    if length is None or len(name) <= length:
        return name
    keep = length - 1
    return f"{name[: keep - keep // 2]}{ELLIPSIS}{name[len(name) - keep // 2 :]}"


def _density_range(ranges: TargetRanges, params: TonnageParams) -> str:
    if params.density_raster is not None:  # the range scales the raster's cells by value / likely
        return f"density raster scaled by value / likely of {ranges.density.text()} t/m³"
    return f"{ranges.density.text()} t/m³"


def assumptions_text(
    params: TonnageParams,
    grade_path: str,
    crs_text: str,
    ranges: TargetRanges | None = None,
    name_length: int | None = None,
) -> str:
    """One line per assumption, in the words a reviewer checks them by: the depth window where one applies, and
    with a target's ``ranges`` the inputs it draws from (its base case takes their likely values, not the
    constants above them). File names are cut to ``name_length`` characters when given."""
    unit = UNIT_LABELS[params.grade_unit]
    density = (
        f"density raster {_file(params.density_raster, name_length)} (t/m³)"
        if params.density_raster is not None
        else f"{params.density:.2f} t/m³ (constant)"
    )
    thickness = (
        f"thickness raster {_file(params.thickness_raster, name_length)} (m)"
        if params.thickness_raster is not None
        else f"{params.thickness:g} m (constant)"
    )
    ratio = 1.0 / params.treo_to_tree
    return "\n".join(
        (
            "Assumptions",
            f"Grade: {_file(grade_path, name_length)}, band {params.grade_band}, TREO in {unit}",
            f"Cut-off: {params.cutoff:g} {unit} TREO",
            f"Bulk density: {density}",
            f"Thickness: {thickness}",
            *(
                [
                    "Depth window: "
                    + depth_window_text(_file(top_depth_text(params), name_length), params.min_depth, params.max_depth)
                ]
                if params.windowed or params.top_depth_raster is not None or params.top_depth
                else []
            ),
            *(
                []
                if ranges is None
                else [
                    f"Exploration target, triangular low / likely / high (its base case at the likely values): "
                    f"bulk density {_density_range(ranges, params)}, thickness factor "
                    f"{ranges.thickness_factor.text()}, grade factor {ranges.grade_factor.text()}"
                ]
            ),
            f"CRS of the areas: {crs_text}",
            "Method: exact fractional cell coverage (each cell counts with the share of its area inside the "
            "polygon); tonnage-weighted mean grade",
            f"Metal: TREE = TREO / {ratio:.2f} (TREO/TREE factor {ratio:.2f})",
        )
    )
