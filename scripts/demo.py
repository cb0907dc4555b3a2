"""`make demo`: the plugin's main job, headless, on the sample data, through the installed plugin's own code."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qgis_headless import start_qgis

CUTOFFS_PERCENT = (0.0, 0.10)


def print_estimates(layers) -> None:
    """Each zone's figures at the demo cut-offs, from one grade-tonnage pass per zone."""
    from rare_earth_plugin.core import display
    from rare_earth_plugin.core.tonnage import TonnageParams
    from rare_earth_plugin.core.units import DEFAULT_DENSITY, PERCENT
    from rare_earth_plugin.estimation import EstimateInputs, curve_for_geometry, raster_path

    inputs = EstimateInputs(
        raster_path(layers.grade, "grade"),
        TonnageParams(density=DEFAULT_DENSITY, thickness_raster=raster_path(layers.thickness, "thickness")),
    )
    print(
        f"\nEstimates (density {DEFAULT_DENSITY:.2f} t/m3, thickness from {layers.thickness.name()}, "
        "exact fractional cell coverage; TREO = oxide, TREE = metal):"
    )
    header = (
        f"{'Zone':22s} {'Cut-off %':>9s} {'Area km2':>9s} {'Ore Mt':>10s} {'Grade %':>8s} "
        f"{'TREO kt':>9s} {'TREE kt':>9s} {'Coverage':>8s}"
    )
    print(header)
    print("-" * len(header))
    for feature in layers.zones.getFeatures():
        for result in curve_for_geometry(feature.geometry(), layers.zones.crs(), inputs, CUTOFFS_PERCENT):
            print(
                f"{feature['name']:22s} {display.cutoff(result.cutoff, PERCENT):>9s} "
                f"{display.km2(result.polygon_area_m2):>9s} {display.mt(result.ore_tonnes):>10s} "
                f"{display.grade(result.mean_grade, PERCENT):>8s} {display.kt(result.treo_tonnes):>9s} "
                f"{display.kt(result.tree_tonnes):>9s} {display.coverage(result.data_coverage) + '%':>8s}"
            )


def write_report(out_dir: Path) -> None:
    from osgeo import gdal
    from report_demo import SAMPLE_CUTOFF_PCT, write_sample_report

    started = time.perf_counter()
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # QGIS's world map has timestamps GDAL finds odd
    try:
        paths = write_sample_report(out_dir)
    finally:
        gdal.PopErrorHandler()
    print(f"\nReport at a {SAMPLE_CUTOFF_PCT:g} % TREO cut-off, written in {time.perf_counter() - started:.1f} s:")
    for path in paths:
        print(f"  {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", type=Path, required=True, help="QGIS settings root holding the plugin")
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the sample report")
    args = parser.parse_args()
    app = start_qgis(args.profile)

    from qgis.core import QgsProject

    import rare_earth_plugin
    from rare_earth_plugin.core.display import km2
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
        print(f"{feature['name']:22s} {feature['kind']:20s} {km2(feature.geometry().area()):>9s}")
    print_estimates(layers)
    write_report(args.out)
    plugin.unload()  # also closes the rasters the engine keeps open, before GDAL shuts down with QGIS
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
