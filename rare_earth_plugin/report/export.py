"""Writing a whole report: PDF (from the print layout), CSV and GeoPackage, as one set, all or nothing.

Every output path is checked before any work, so a bad name or folder fails at once with a clear message. Each
file is written beside its target and checked (the PDF read to its trailer with every page, the GeoPackage's
integrity, the CSV synced) before any earlier file is replaced (``file_set``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qgis.core import Qgis, QgsLayoutExporter, QgsMapLayer, QgsProviderRegistry

from .. import log
from ..estimation import EstimateInputs
from .area_results import AreaResult
from .csv_export import write_csv
from .errors import ReportError
from .file_set import FileSet, check_writable_folder, fsync_file, listed, other_layers
from .gpkg_export import LAYER_NAME, write_gpkg
from .layout_builder import BuiltReport, ReportLayers, build_report_layout
from .naming import check_output_file
from .pdf_check import PdfCheckError, check_pdf
from .target_options import TargetOptions
from .texts import ReportMeta

PDF_DPI = 150


@dataclass(frozen=True)
class ReportTargets:
    pdf: Path
    csv: Path | None = None
    gpkg: Path | None = None

    @classmethod
    def checked(cls, pdf: str | Path, csv: str | Path | None = None, gpkg: str | Path | None = None) -> ReportTargets:
        """Validated absolute paths; raises ``ReportError`` naming the output at fault."""
        targets = cls(
            pdf=check_output_file(pdf, ".pdf", "PDF file"),
            csv=check_output_file(csv, ".csv", "CSV file") if csv else None,
            gpkg=check_output_file(gpkg, ".gpkg", "GeoPackage file") if gpkg else None,
        )
        for path, label in ((targets.pdf, "PDF file"), (targets.csv, "CSV file"), (targets.gpkg, "GeoPackage file")):
            if path is not None:  # where the file is written: a link's target's folder
                check_writable_folder(Path(os.path.realpath(path)).parent, label)
        written = [os.path.realpath(path) for path in (targets.pdf, targets.csv, targets.gpkg) if path is not None]
        if len(set(written)) != len(written):  # through links too: one would have replaced another
            raise ReportError("output files: the PDF, CSV and GeoPackage must be different files")
        return targets

    def check_replaceable(self) -> None:
        """``ReportError`` when the GeoPackage output holds other layers or tables a new file would delete."""
        others = other_layers(self.gpkg, LAYER_NAME) if self.gpkg is not None else []
        if others:
            raise ReportError(
                f"GeoPackage file: {self.gpkg} holds other layers or tables ({listed(others)}), which writing the "
                "file anew would delete; choose another file"
            )

    def paths(self) -> list[Path]:
        return [path for path in (self.pdf, self.csv, self.gpkg) if path is not None]

    def labelled(self) -> list[tuple[Path, str]]:
        return [
            (path, label)
            for path, label in ((self.pdf, "PDF file"), (self.csv, "CSV file"), (self.gpkg, "GeoPackage file"))
            if path is not None
        ]


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


def export_pdf(built: BuiltReport, path: Path) -> Path:
    """The layout as a PDF at ``path``, synced and read back: the exporter says Success on a full disk."""
    code = QgsLayoutExporter(built.layout).exportToPdf(str(path), pdf_settings())
    if code == QgsLayoutExporter.ExportResult.FileError:  # the folder's own reason first (read-only, no room)
        check_writable_folder(Path(os.path.realpath(path)).parent, "PDF file")
        raise ReportError(f"QGIS could not write {path} (is the drive full, or the file open elsewhere?)")
    if code != QgsLayoutExporter.ExportResult.Success:
        raise ReportError(f"the print layout could not be exported (QGIS error {code})")
    fsync_file(path)
    try:
        check_pdf(path, built.layout.pageCollection().pageCount())
    except PdfCheckError as error:
        raise ReportError(f"the PDF came out incomplete: {error}") from None
    return path


def write_report(
    results: Sequence[AreaResult],
    inputs: EstimateInputs,
    layers: ReportLayers,
    meta: ReportMeta,
    targets: ReportTargets,
    target_options: TargetOptions | None = None,
) -> list[Path]:
    """Build the layout and write every requested file; returns the paths written. On any failure a
    ``ReportError`` says what, and the earlier files are as they were."""
    if not results:
        raise ReportError("areas: no area chosen; select at least one zone or survey area")
    refuse_inputs(targets.labelled(), input_files([*layers.area_layers, layers.region], inputs))
    targets.check_replaceable()
    with FileSet(targets.labelled()) as files:
        built = build_report_layout(results, inputs, layers, meta, files.work_folder(), target_options=target_options)
        with files.writing(targets.pdf) as path:
            export_pdf(built, path)
        if targets.csv is not None:
            with files.writing(targets.csv) as path:
                write_csv([result.figures for result in results], path, [result.target for result in results])
        if targets.gpkg is not None:
            with files.writing(targets.gpkg) as path:
                write_gpkg(results, path)
        written = files.commit()
    log.logger.info("Report written: %s", ", ".join(str(path) for path in written))
    return written


def input_files(layers: Sequence[QgsMapLayer | None], inputs: EstimateInputs) -> list[tuple[str, str]]:
    """The files a run reads (the ``layers``' and the rasters'), each with what it is: an output must never
    replace one."""
    found = []
    for layer in layers:
        if layer is not None:
            path = QgsProviderRegistry.instance().decodeUri(layer.providerType(), layer.source()).get("path")
            if path:
                found.append((str(path), f"the file of the layer '{layer.name()}'"))
    params = inputs.params
    for raster, role in (
        (inputs.grade_path, "grade raster"),
        (params.thickness_raster, "thickness raster"),
        (params.density_raster, "density raster"),
        (params.top_depth_raster, "top depth raster"),
    ):
        if raster:
            found.append((os.fspath(raster), f"the {role}"))
    return found


def refuse_inputs(targets: Iterable[tuple[Path | str, str]], inputs: list[tuple[str, str]]) -> None:
    """``ReportError`` naming the output (path, label) that is one of the run's inputs (an areas GeoPackage given
    as the GeoPackage output was replaced whole, its other layers with it)."""
    for target, label in targets:
        for source, what in inputs:
            if _same_file(target, source):
                raise ReportError(f"{label}: {target} is {what}, which this run reads; choose another file")


def _same_file(first: Path | str, second: Path | str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:  # one of them does not exist (yet): the same path, then
        return os.path.normcase(os.path.abspath(first)) == os.path.normcase(os.path.abspath(second))
