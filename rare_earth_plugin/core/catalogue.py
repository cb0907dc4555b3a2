"""The Qaraganda zone catalogue: zone kinds, the sample zones and the sample data files.

The sample data is synthetic (positions illustrative, values calibrated to public figures); the names here are
shared by the data generator, the layer loader, the dock and the reports.
"""

from __future__ import annotations

from dataclasses import dataclass

KIND_LICENCE = "licence"
KIND_PROSPECTIVE = "prospective zone"
KIND_PROGNOSTIC = "prognostic cluster"
ZONE_KINDS: tuple[str, ...] = (KIND_LICENCE, KIND_PROSPECTIVE, KIND_PROGNOSTIC)

#: CRS of all sample data: WGS 84 / UTM 43N covers 72-78 E, the site included.
SAMPLE_CRS = "EPSG:32643"

ZONES_FILE = "zones.gpkg"
ZONES_LAYER = "zones"
GRADE_FILE = "treo_grade_pct.tif"
THICKNESS_FILE = "thickness_m.tif"
REGION_FILE = "qaraghandy_region.gpkg"
REGION_LAYER = "qaraghandy_region"

STATUS_SYNTHETIC = "synthetic"


@dataclass(frozen=True)
class ZoneInfo:
    name: str
    kind: str
    note: str


SAMPLE_ZONES: tuple[ZoneInfo, ...] = (
    ZoneInfo(
        "Kuirektykol licence",
        KIND_LICENCE,
        "Exploration licence of 64.2 km2 made of 29 blocks of 1' x 1'; studied 2022-2024.",
    ),
    ZoneInfo("Irgiz", KIND_PROSPECTIVE, "Grades above 0.1 % TREO, single samples up to 0.25 %; about 0.8 Mt reported."),
    ZoneInfo("Dos 1", KIND_PROSPECTIVE, "Prospective zone inside the licence."),
    ZoneInfo("Dos 2", KIND_PROSPECTIVE, "Grades above 0.1 % TREO, single samples up to 0.25 %."),
    ZoneInfo("Dos 3", KIND_PROSPECTIVE, "Prospective zone inside the licence."),
    ZoneInfo(
        "Jana Kazakhstan",
        KIND_PROGNOSTIC,
        "Prognostic cluster: over 20 Mt of REE to 300 m depth at about 700 g/t (strata-bound type).",
    ),
)
