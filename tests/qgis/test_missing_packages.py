"""QGIS still starts when a required package is missing: a message naming it and the apt command, only the
zone-loading action, no dock and no Processing provider, and a clean unload.

Each package of ``dependencies.REQUIRED`` is hidden in turn by a meta-path finder that refuses it, with it and
every module of the plugin dropped from ``sys.modules`` so the plugin really imports afresh.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys

import pytest
from qgis.core import QgsApplication

from rare_earth_plugin.dependencies import REQUIRED


class _Refuse(importlib.abc.MetaPathFinder):
    def __init__(self, hidden: str) -> None:
        self.hidden = hidden

    def find_spec(self, fullname: str, path=None, target=None):  # noqa: ARG002 - finder protocol
        if fullname == self.hidden or fullname.startswith(f"{self.hidden}."):
            raise ImportError(f"{fullname} hidden by the test")
        return None


def _hide(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    monkeypatch.setattr(sys, "meta_path", [_Refuse(package), *sys.meta_path])
    for name in list(sys.modules):
        if name == package or name.startswith((f"{package}.", "rare_earth_plugin")):
            monkeypatch.delitem(sys.modules, name)


@pytest.mark.parametrize("package", sorted(REQUIRED))
def test_plugin_starts_without(package: str, monkeypatch: pytest.MonkeyPatch, qgis_iface, qgis_new_project) -> None:
    messages: list[tuple] = []
    bar = qgis_iface.messageBar()
    monkeypatch.setattr(bar, "pushMessage", lambda *args: messages.append(args))
    _hide(monkeypatch, package)
    with pytest.raises(ImportError):
        importlib.import_module(package)
    plugin_package = importlib.import_module("rare_earth_plugin")

    plugin = plugin_package.classFactory(qgis_iface)
    plugin.initGui()
    try:
        texts = [" ".join(str(part) for part in message) for message in messages]
        assert any(package in text and REQUIRED[package] in text for text in texts), texts
        assert [action.text() for action in plugin.toolbar.actions()] == ["Load Qaraganda exploration zones"]
        assert plugin.dock is None
        assert "rareearth" not in [p.id() for p in QgsApplication.processingRegistry().providers()]
    finally:
        plugin.unload()
    assert plugin.actions == [] and plugin.dock is None
