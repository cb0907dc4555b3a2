"""Settings round trips (report header, inputs), the unit check and the legend's cut-off mark."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import rasterio
from gui_fixtures import wait_for_tasks
from qgis.core import QgsProject, QgsRasterLayer, QgsSettings

from rare_earth_plugin.core.units import PERCENT, PPM
from rare_earth_plugin.gui import export_dialog
from rare_earth_plugin.gui.cutoff_legend import MARK
from rare_earth_plugin.gui.export_dialog import ExportReportDialog
from rare_earth_plugin.gui.inputs_panel import InputsState
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.report.meta import meta_from_settings, remember
from rare_earth_plugin.report.texts import DEFAULT_TITLE, ReportMeta
from rare_earth_plugin.settings import Settings

pytest_plugins = ["gui_fixtures"]


def test_report_header_round_trip_through_the_settings(clean_settings, tmp_path) -> None:
    logo = tmp_path / "logo.png"
    typed = ReportMeta(
        title="Irgiz target, 2026", author="A. Geologist", organisation="Steppe Minerals LLP", logo=str(logo)
    )
    remember(typed)
    QgsSettings().sync()
    again = meta_from_settings()
    assert (again.title, again.author, again.organisation, again.logo) == (
        typed.title,
        typed.author,
        typed.organisation,
        typed.logo,
    )
    assert again.date == datetime.date.today().isoformat()
    given = meta_from_settings(title="Other", author="", organisation="Org 2")  # parameters win when given
    assert (given.title, given.author, given.organisation) == ("Other", "A. Geologist", "Org 2")


def test_blank_header_falls_back_to_plain_defaults_not_the_sample_region(clean_settings) -> None:
    meta = meta_from_settings()
    assert meta.title == DEFAULT_TITLE and "Qaraganda" not in meta.title


def test_inputs_state_round_trip_through_settings_and_project(clean_settings, qgis_new_project) -> None:
    state = InputsState(grade_layer="g1", grade_band=2, grade_unit=PPM, cutoff=700.0, thickness=12.5, density=2.45)
    state.to_settings()
    back = InputsState.from_settings()
    assert (back.grade_band, back.grade_unit, back.cutoff, back.thickness, back.density) == (2, PPM, 700.0, 12.5, 2.45)
    state.write_project(qgis_new_project)
    assert InputsState.read_project(qgis_new_project) == state


def test_old_project_entries_are_read_once_into_the_one_namespace(clean_settings, qgis_new_project) -> None:
    from rare_earth_plugin.settings import NAMESPACE, OLD_PROJECT_SCOPE

    qgis_new_project.writeEntry(OLD_PROJECT_SCOPE, "inputs/cutoff", "0.2")
    qgis_new_project.writeEntry(OLD_PROJECT_SCOPE, "inputs/grade_band", "3")
    state = InputsState.read_project(qgis_new_project)
    assert state is not None and (state.cutoff, state.grade_band) == (0.2, 3)
    assert qgis_new_project.readEntry(NAMESPACE, "inputs/cutoff", "")[0] == "0.2"
    assert not qgis_new_project.entryList(OLD_PROJECT_SCOPE, "inputs")
    qgis_new_project.writeEntry(NAMESPACE, "inputs/cutoff", "0.3")  # the namespace wins from now on
    assert InputsState.read_project(qgis_new_project).cutoff == 0.3


def test_old_layer_roles_move_to_the_one_namespace(qgis_new_project) -> None:
    from qgis.core import QgsVectorLayer

    from rare_earth_plugin.layers import ROLE_PROPERTY, ROLE_ZONES, layer_by_role
    from rare_earth_plugin.settings import migrate_custom_properties

    layer = QgsVectorLayer("Polygon?crs=EPSG:32643", "old zones", "memory")
    layer.setCustomProperty("rare_earth/role", ROLE_ZONES)
    qgis_new_project.addMapLayer(layer)
    assert ROLE_PROPERTY == "rare_earth_plugin/role" and layer_by_role(qgis_new_project, ROLE_ZONES) is None
    assert migrate_custom_properties(qgis_new_project) == 1
    assert layer_by_role(qgis_new_project, ROLE_ZONES) is layer
    assert "rare_earth/role" not in layer.customPropertyKeys()
    assert migrate_custom_properties(qgis_new_project) == 0  # once


def test_the_settings_fixture_clears_the_one_namespace(clean_settings) -> None:
    from qgis.core import QgsSettings

    from rare_earth_plugin.settings import NAMESPACE

    Settings.inputs_collapsed.set(True)
    assert QgsSettings().contains(f"{NAMESPACE}/ui/inputs_collapsed")
    QgsSettings().remove(NAMESPACE)  # what clean_settings does
    assert Settings.inputs_collapsed.get() is False


def test_defaults_agree_with_the_sample_data(clean_settings) -> None:
    fresh = InputsState.from_settings()
    assert fresh.cutoff == pytest.approx(0.05) and fresh.grade_unit == PERCENT
    from rare_earth_plugin.core import catalogue
    from rare_earth_plugin.paths import sample_data

    with rasterio.open(sample_data(catalogue.THICKNESS_FILE)) as source:
        mean = float(source.read(1, masked=True).mean())
    assert abs(fresh.thickness - mean) / mean < 0.2  # the constant default is near the data's mean


def test_export_dialog_remembers_what_was_typed_and_proposes_a_file(
    clean_settings, qgis_new_project, qtbot, monkeypatch, tmp_path
) -> None:
    project = QgsProject.instance()
    load_sample_layers(project)
    Settings.title.set("Dos 2 target")
    Settings.report_folder.set(str(tmp_path))
    dialog = ExportReportDialog(project)
    qtbot.addWidget(dialog)
    assert dialog.title.text() == "Dos 2 target"
    proposed = dialog.output.filePath()
    assert proposed == str(tmp_path / f"Dos_2_target_{datetime.date.today().isoformat()}.pdf")
    assert dialog.minimumWidth() >= 600
    dialog.author.setText("B. Surveyor")
    dialog.organisation.setText("Field Co")
    started = []
    monkeypatch.setattr(export_dialog.QgsApplication.taskManager(), "addTask", started.append)
    dialog.start()
    assert started, "the export task was not started"
    started[0].cancel()
    assert (Settings.author.get(), Settings.organisation.get()) == ("B. Surveyor", "Field Co")


def _grade_with_unit(make_raster, unit: str) -> str:
    path = make_raster(np.full((20, 20), 0.15, dtype="float32"), name=f"grade_{unit.strip('%') or 'pct'}.tif")
    with rasterio.open(path, "r+") as dst:
        dst.units = (unit,)
    return path


def test_dock_reads_the_band_unit_and_warns_on_a_mismatch(dock, make_raster, qgis_iface, qtbot) -> None:
    layer = QgsRasterLayer(_grade_with_unit(make_raster, "%"), "assays", "gdal")
    QgsProject.instance().addMapLayer(layer)
    dock.inputs.grade_unit.setCurrentIndex(dock.inputs.grade_unit.findData(PPM))
    dock.inputs.grade_layer.setLayer(layer)
    assert dock.inputs.unit() == PERCENT  # the band says %, so % is chosen for the user
    assert not dock.inputs.unit_note.isVisibleTo(dock.inputs)
    messages = qgis_iface.messageBar()
    messages.clear_messages()
    dock.inputs.grade_unit.setCurrentIndex(dock.inputs.grade_unit.findData(PPM))  # the user insists
    text = dock.inputs.unit_note.text()
    assert dock.inputs.unit_note.isVisibleTo(dock.inputs) and "declares its unit as %" in text
    assert any("declares its unit as %" in t for group in messages.messages.values() for t in group)
    wait_for_tasks(qtbot, dock)


def test_grade_legend_marks_the_chosen_cutoff_only(dock, qgis_new_project, qtbot) -> None:
    sample = load_sample_layers(qgis_new_project)
    dock.use_sample(sample)

    def marked() -> list[float]:
        function = sample.grade.renderer().shader().rasterShaderFunction()
        return [item.value for item in function.colorRampItemList() if item.label.endswith(MARK)]

    assert marked() == [pytest.approx(dock.inputs.cutoff.value())]
    dock.inputs.cutoff.setValue(0.10)
    assert marked() == [pytest.approx(0.10)]
    dock.inputs.cutoff.setValue(0.12)  # no entry at 0.12: no entry claims to be the cut-off
    assert marked() == []
    wait_for_tasks(qtbot, dock)


def test_an_old_sample_group_moves_too(qgis_new_project) -> None:
    from rare_earth_plugin.layers import find_group
    from rare_earth_plugin.settings import migrate_custom_properties

    group = qgis_new_project.layerTreeRoot().addGroup("old sample")
    group.setCustomProperty("rare_earth/sample_group", True)
    assert find_group(qgis_new_project) is None
    assert migrate_custom_properties(qgis_new_project) == 1
    assert find_group(qgis_new_project) is group
