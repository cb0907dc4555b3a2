"""`make demo`: the plugin's main job, headless, on the sample data, through the installed plugin's own code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qgis_headless import start_qgis  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", type=Path, required=True, help="QGIS settings root holding the plugin")
    args = parser.parse_args()
    app = start_qgis(args.profile)

    import rare_earth_plugin
    from qgis.core import QgsProject
    from rare_earth_plugin.layers import load_sample_layers

    plugin = rare_earth_plugin.classFactory(None)
    plugin.initProcessing()
    print(f"Rare Earth Explorer loaded from {Path(rare_earth_plugin.__file__).parent}")
    layers = load_sample_layers(QgsProject.instance())
    print(f"\nLayer group '{layers.group.name()}':")
    for layer in (layers.zones, layers.grade, layers.thickness, layers.region):
        print(f"  {layer.name():28s} {layer.crs().authid():11s} {Path(layer.source().split('|')[0]).name}")
    print(f"\n{'Zone':22s} {'Kind':20s} {'Area km2':>9s}")
    for feature in layers.zones.getFeatures():
        print(f"{feature['name']:22s} {feature['kind']:20s} {feature.geometry().area() / 1e6:9.2f}")
    plugin.unload()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
