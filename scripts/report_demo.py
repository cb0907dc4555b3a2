"""The sample report, headless: ``write_sample_report(out_dir)`` for ``make demo`` (QGIS already initialised).

Loads the sample layers into a throw-away project, estimates every sample zone with the sample grade and
thickness rasters at 0.05 % TREO, and writes STEM.pdf, STEM.csv and STEM.gpkg into ``out_dir``.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProject

from rare_earth_plugin.areas import areas_from_layer
from rare_earth_plugin.core.tonnage import TonnageParams
from rare_earth_plugin.core.units import DEFAULT_DENSITY
from rare_earth_plugin.estimation import EstimateInputs
from rare_earth_plugin.layers import load_sample_layers
from rare_earth_plugin.report.area_results import estimate_areas
from rare_earth_plugin.report.export import ReportTargets, write_report
from rare_earth_plugin.report.layout_builder import ReportLayers
from rare_earth_plugin.report.meta import meta_from_settings
from rare_earth_plugin.report.target_options import TargetOptions

SAMPLE_CUTOFF_PCT = 0.05
#: Illustrative statement items for the sample report (no exploration is planned on synthetic data).
SAMPLE_PLAN = "none: synthetic sample data (a real target names its drilling or sampling programme here)"
SAMPLE_TIMEFRAME = "not applicable (sample data)"


def write_sample_report(out_dir: str | Path, stem: str = "qaraganda_report") -> list[Path]:
    """Write the sample report into ``out_dir`` (created if missing); returns the PDF, CSV and GeoPackage."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    project = QgsProject()
    layers = load_sample_layers(project)
    inputs = EstimateInputs(
        layers.grade.source(),
        TonnageParams(cutoff=SAMPLE_CUTOFF_PCT, density=DEFAULT_DENSITY, thickness_raster=layers.thickness.source()),
    )
    options = TargetOptions(exploration_planned=SAMPLE_PLAN, timeframe=SAMPLE_TIMEFRAME)
    results = estimate_areas(areas_from_layer(layers.zones), inputs, target=options)
    targets = ReportTargets.checked(*(out / f"{stem}.{suffix}" for suffix in ("pdf", "csv", "gpkg")))
    return write_report(
        results,
        inputs,
        ReportLayers([layers.zones], layers.grade, layers.region),
        meta_from_settings(),
        targets,
        target_options=options,
    )
