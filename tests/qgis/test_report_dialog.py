"""The "Export report…" dialog: areas ticked in a tree, errors shown (never raised), export via a task."""

from __future__ import annotations

import pytest
from qgis.core import QgsProject
from qgis.PyQt.QtCore import Qt

from rare_earth_plugin.gui import export_dialog
from rare_earth_plugin.gui.export_dialog import ExportReportDialog
from rare_earth_plugin.layers import load_sample_layers


@pytest.fixture()
def dialog(qgis_new_project, qtbot, monkeypatch):
    # The project the user works in: a throw-away QgsProject would die before the dialog's layer combos.
    project = QgsProject.instance()
    load_sample_layers(project)
    warnings = []
    monkeypatch.setattr(export_dialog.QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    widget = ExportReportDialog(project)
    qtbot.addWidget(widget)
    widget.warnings = warnings
    yield widget


def test_tree_lists_every_zone_ticked(dialog):
    layers, areas = dialog.selected()
    assert len(layers) == 1 and len(areas) == 6
    assert dialog.tree.topLevelItemCount() == 1  # the region layer is context, not an area


def test_empty_selection_is_reported(dialog, tmp_path):
    dialog.tree.topLevelItem(0).setCheckState(0, Qt.CheckState.Unchecked)
    dialog.output.setFilePath(str(tmp_path / "r.pdf"))
    dialog.start()
    assert dialog.warnings and "no area chosen" in dialog.warnings[0]
    assert not (tmp_path / "r.pdf").exists()


def test_export_writes_pdf_csv_and_gpkg(dialog, qtbot, tmp_path):
    parent = dialog.tree.topLevelItem(0)
    for index in range(2, parent.childCount()):
        parent.child(index).setCheckState(0, Qt.CheckState.Unchecked)
    dialog.output.setFilePath(str(tmp_path / "two areas.pdf"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.task is None, timeout=60_000)
    assert dialog.warnings == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two areas.csv", "two areas.gpkg", "two areas.pdf"]
