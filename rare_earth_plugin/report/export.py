"""Writing a whole report: PDF (from the print layout), CSV and GeoPackage, each atomically.

Every output path is checked before any work, so a bad name or folder fails at once with a clear message, and
an export that fails half-way leaves earlier files untouched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qgis.core import Qgis, QgsLayoutExporter

from .. import log
from ..estimation import EstimateInputs
from .area_results import AreaResult
from .atomic import atomic_output, check_writable_folder
from .csv_export import write_csv
from .errors import ReportError
from .gpkg_export import write_gpkg
from .layout_builder import BuiltReport, ReportLayers, build_report_layout
from .naming import check_output_file
from .target_options import TargetOptions
from .texts import ReportMeta

PDF_DPI = 150


@dataclass(frozen=True)
class ReportTargets:
    pdf: Path
    csv: Path | None = None
    gpkg: Path | None = None

    @classmethod
    def checked(cls, pdf: str | Path, csv: str | Path | None = None, gpkg: str | Path | None = None) \
            -> ReportTargets:
        """Validated absolute paths; raises ``ReportError`` naming the output at fault."""
        targets = cls(pdf=check_output_file(pdf, ".pdf", "PDF file"),
                      csv=check_output_file(csv, ".csv", "CSV file") if csv else None,
                      gpkg=check_output_file(gpkg, ".gpkg", "GeoPackage file") if gpkg else None)
        for path, label in ((targets.pdf, "PDF file"), (targets.csv, "CSV file"),
                            (targets.gpkg, "GeoPackage file")):
            if path is not None:
                check_writable_folder(path.parent, label)
        written = [path for path in (targets.pdf, targets.csv, targets.gpkg) if path is not None]
        if len(set(written)) != len(written):
            raise ReportError("output files: the PDF, CSV and GeoPackage must be different files")
        return targets

    def paths(self) -> list[Path]:
        return [path for path in (self.pdf, self.csv, self.gpkg) if path is not None]


def pdf_settings() -> QgsLayoutExporter.PdfExportSettings:
    """Vector output with real text, so the PDF can be searched and copied from."""
    settings = QgsLayoutExporter.PdfExportSettings()
    settings.dpi = PDF_DPI
    settings.forceVectorOutput = True
    settings.rasterizeWholeImage = False
    settings.textRenderFormat = Qgis.TextRenderFormat.AlwaysText
    settings.exportMetadata = True
    settings.appendGeoreference = False
    return settings


def export_pdf(built: BuiltReport, target: Path) -> Path:
    with atomic_output(target, "PDF file") as temporary:
        code = QgsLayoutExporter(built.layout).exportToPdf(str(temporary), pdf_settings())
        if code != QgsLayoutExporter.Success:
            raise ReportError(f"PDF file '{target}': the print layout could not be exported (error {code})")
    return target


def write_report(results: Sequence[AreaResult], inputs: EstimateInputs, layers: ReportLayers,
                 meta: ReportMeta, targets: ReportTargets, target_options: TargetOptions | None = None
                 ) -> list[Path]:
    """Build the layout and write every requested file; returns the paths written."""
    if not results:
        raise ReportError("areas: no area chosen; select at least one zone or survey area")
    with tempfile.TemporaryDirectory(prefix="rare_earth_report_") as work_dir:
        built = build_report_layout(results, inputs, layers, meta, Path(work_dir),
                                    target_options=target_options)
        export_pdf(built, targets.pdf)
    figures = [result.figures for result in results]
    if targets.csv is not None:
        write_csv(figures, targets.csv, [result.target for result in results])
    if targets.gpkg is not None:
        write_gpkg(results, targets.gpkg)
    log.logger.info("Report written: %s", ", ".join(str(path) for path in targets.paths()))
    return targets.paths()
