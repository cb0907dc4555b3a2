"""The plugin's persisted entries in one namespace, ``rare_earth_plugin``: typed user settings (``QgsSettings``,
one place for every key, its type and default) and the project's entries (``QgsProject`` scope).

Before 0.2 the project entries had the scope ``rare_earth``: an old entry is read once, written under the one
namespace and removed, so the next save of the project carries only the new one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

from qgis.core import QgsProject, QgsSettings

from .core.units import DEFAULT_DENSITY, PERCENT

T = TypeVar("T", str, float, int, bool)

NAMESPACE = "rare_earth_plugin"
_PREFIX = NAMESPACE + "/"
#: The project scope before 0.2.
OLD_PROJECT_SCOPE = "rare_earth"


def read_project_entry(project: QgsProject, key: str) -> tuple[str, bool]:
    """The project's entry ``key`` (text, found); an entry of the old scope moves to the namespace."""
    text, ok = project.readEntry(NAMESPACE, key, "")
    if ok:
        return text, ok
    text, ok = project.readEntry(OLD_PROJECT_SCOPE, key, "")
    if ok:
        project.writeEntry(NAMESPACE, key, text)
        project.removeEntry(OLD_PROJECT_SCOPE, key)
    return text, ok


def migrate_custom_properties(project: QgsProject) -> int:
    """Layer and group properties of the old namespace (``rare_earth/role``, ``rare_earth/sample_group``)
    moved to this one, once; returns how many moved."""
    old_prefix = OLD_PROJECT_SCOPE + "/"
    items = [*project.mapLayers().values(), *project.layerTreeRoot().findGroups(True)]
    moved = 0
    for item in items:
        keys = item.customPropertyKeys() if hasattr(item, "customPropertyKeys") else item.customProperties()
        for key in keys:
            if key.startswith(old_prefix):
                item.setCustomProperty(_PREFIX + key[len(old_prefix) :], item.customProperty(key))
                item.removeCustomProperty(key)
                moved += 1
    return moved


def write_project_entry(project: QgsProject, key: str, text: str) -> None:
    project.writeEntry(NAMESPACE, key, text)


def write_project_inputs(project: QgsProject, state: Any) -> None:
    """Each field of the dataclass ``state`` as the project entry ``inputs/<field>``: the project carries the
    dock's inputs (layers by id) with it."""
    for item in fields(state):
        write_project_entry(project, f"inputs/{item.name}", str(getattr(state, item.name)))


def read_project_inputs(project: QgsProject, state: Any) -> bool:
    """The fields of the dataclass ``state`` set from the project's ``inputs/<field>`` entries; False when the
    project has none of them (then the settings apply). An entry that does not parse (a hand-edited project)
    keeps the field's value."""
    found = False
    for item in fields(state):
        text, ok = read_project_entry(project, f"inputs/{item.name}")
        if not ok:
            continue
        found = True
        kind = type(getattr(state, item.name))
        try:
            setattr(state, item.name, kind(text))
        except ValueError:
            continue
    return found


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    default: T

    def get(self) -> T:
        value = QgsSettings().value(_PREFIX + self.key, self.default, type=type(self.default))
        return type(self.default)(value)

    def set(self, value: T) -> None:
        QgsSettings().setValue(_PREFIX + self.key, type(self.default)(value))


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
    #: The dock's Inputs box folded away (it folds once the inputs are set, leaving room for the chart).
    inputs_collapsed = Setting("ui/inputs_collapsed", False)
