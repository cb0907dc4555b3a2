"""Typed access to the plugin's ``QgsSettings`` (one place for every key, its type and default)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from qgis.core import QgsSettings

from .core.units import DEFAULT_DENSITY, PERCENT

T = TypeVar("T", str, float, int, bool)

_PREFIX = "rare_earth_plugin/"


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    default: T

    def get(self) -> T:
        value = QgsSettings().value(_PREFIX + self.key, self.default, type=type(self.default))
        return type(self.default)(value)

    def set(self, value: T) -> None:
        QgsSettings().setValue(_PREFIX + self.key, type(self.default)(value))

    def reset(self) -> None:
        QgsSettings().remove(_PREFIX + self.key)


class Settings:
    """Every persisted user choice. Per-project inputs are also written to the project by the dock."""

    title = Setting("report/title", "")
    author = Setting("report/author", "")
    organisation = Setting("report/organisation", "")
    logo = Setting("report/logo", "")
    report_folder = Setting("report/folder", "")
    density = Setting("inputs/density", DEFAULT_DENSITY)
    #: Near the sample thickness raster's mean (27 m): a constant that does not contradict the data beside it.
    thickness = Setting("inputs/thickness", 25.0)
    #: The envelope cut-off of this deposit style (0.05 % TREO); the grade legend marks the chosen one.
    cutoff = Setting("inputs/cutoff", 0.05)
    grade_unit = Setting("inputs/grade_unit", PERCENT)
    grade_band = Setting("inputs/grade_band", 1)
    #: GeoPackages the user chose for survey areas, one a line: the only absolute paths a project may name.
    survey_chosen = Setting("survey/chosen_gpkgs", "")
    # The depth window of every estimate the dock makes (m below surface; a limit < 0 means none).
    top_depth = Setting("inputs/top_depth", 0.0)
    top_source = Setting("inputs/top_source", "constant")  # or "raster": the layer below, by source path
    top_raster = Setting("inputs/top_raster", "")
    min_depth = Setting("inputs/min_depth", -1.0)
    max_depth = Setting("inputs/max_depth", -1.0)
    # Exploration targets: ranges as "low,likely,high" (empty: the defaults), the simulation, the statement.
    target_density_range = Setting("target/density_range", "")
    target_thickness_range = Setting("target/thickness_factor_range", "")
    target_grade_range = Setting("target/grade_factor_range", "")
    target_draws = Setting("target/draws", 10_000)
    target_seed = Setting("target/seed", 20250402)
    exploration_planned = Setting("report/exploration_planned", "")
    timeframe = Setting("report/timeframe", "")
    reporting_code = Setting("report/reporting_code", "JORC 2012")
    competent_person = Setting("report/competent_person", "")
