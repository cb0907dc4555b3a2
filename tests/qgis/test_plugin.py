"""The plugin in QGIS: provider, toolbar, menu, the sample layer group, and a clean unload."""

from __future__ import annotations

import pytest
from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import QCoreApplication, QEvent
from qgis.PyQt.QtWidgets import QAction

from rare_earth_plugin import classFactory, layers
from rare_earth_plugin import plugin as plugin_module
from rare_earth_plugin.core import catalogue


def _provider_ids() -> list[str]:
    return [p.id() for p in QgsApplication.processingRegistry().providers()]


def _our_actions(iface) -> list:
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # what the event loop does after unload
    return [a for a in iface.mainWindow().findChildren(QAction) if a.text() == "Load Qaraganda exploration zones"]


@pytest.fixture()
def plugin(qgis_iface, qgis_new_project):
    instance = classFactory(qgis_iface)
    instance.initGui()
    yield instance
    instance.unload()


def test_processing_only_start_needs_no_iface(qgis_app) -> None:
    instance = classFactory(None)  # what qgis_process does
    instance.initProcessing()
    assert _provider_ids().count("rareearth") == 1
    instance.unload()
    assert "rareearth" not in _provider_ids()


def test_init_gui_adds_toolbar_action_and_provider(plugin) -> None:
    assert plugin.toolbar is not None and plugin.toolbar.windowTitle() == "Rare Earth"
    texts = [a.text() for a in plugin.toolbar.actions()]
    assert "Load Qaraganda exploration zones" in texts
    assert _provider_ids().count("rareearth") == 1


def test_load_zones_adds_one_styled_group_twice_over(plugin) -> None:
    project = QgsProject.instance()
    plugin.load_zones()
    plugin.load_zones()
    groups = [g for g in project.layerTreeRoot().findGroups(True) if g.name() == layers.GROUP_NAME]
    assert len(groups) == 1
    assert len(project.mapLayers()) == 4
    sample = layers.load_sample_layers(project)
    assert isinstance(sample.zones, QgsVectorLayer) and sample.zones.isValid()
    assert isinstance(sample.grade, QgsRasterLayer) and sample.grade.isValid()
    assert sample.zones.crs().authid() == catalogue.SAMPLE_CRS
    names = {f["name"] for f in sample.zones.getFeatures()}
    assert names == {zone.name for zone in catalogue.SAMPLE_ZONES}
    assert sample.zones.renderer().type() == "categorizedSymbol"
    assert sample.zones.labelsEnabled()
    assert sample.grade.renderer().type() == "singlebandpseudocolor"
    assert "Synthetic" in sample.zones.metadata().abstract()


def test_unload_leaves_nothing_behind_and_reload_works(qgis_iface, qgis_new_project) -> None:
    import threading

    from rare_earth_plugin.core import tonnage_tiles

    for _ in range(2):
        instance = classFactory(qgis_iface)
        instance.initGui()
        assert len(_our_actions(qgis_iface)) == 1
        tonnage_tiles._cover_worker().submit(int).result()  # the engine's shared threads, as an estimate starts them
        instance.unload()
        assert not _our_actions(qgis_iface)
        assert "rareearth" not in _provider_ids()
        assert instance.toolbar is None and not instance.actions
        assert not any(thread.name.startswith("rare-earth-cover") for thread in threading.enumerate())


def test_missing_packages_warn_and_disable_engine(qgis_iface, qgis_new_project, monkeypatch) -> None:
    monkeypatch.setattr(plugin_module, "missing_packages", lambda: ["rasterio"])
    messages = []
    monkeypatch.setattr(qgis_iface.messageBar(), "pushMessage", lambda *args: messages.append(args))
    instance = classFactory(qgis_iface)
    instance.initGui()
    try:
        assert "rareearth" not in _provider_ids()
        assert any("python3-rasterio" in str(args) for args in messages)
    finally:
        instance.unload()
