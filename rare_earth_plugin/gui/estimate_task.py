"""Estimates off the main thread, so the canvas and the dock never wait for a large raster.

The task holds only copies of geometries, CRSs and file paths gathered in the main thread; it never touches a
layer. Results go back through ``on_done`` in ``finished()``, which QGIS calls in the main thread.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qgis.core import QgsCoordinateReferenceSystem, QgsGeometry, QgsTask

from .. import log
from ..core.exploration_target import ExplorationTarget
from ..core.tonnage import TonnageCancelled, TonnageInputError, TonnageResult, reusing_open_rasters
from ..estimation import EstimateInputs, curve_for_geometry, estimate_geometry, target_for_geometry
from ..report.target_options import TargetOptions
from .areas_model import AreaKey


@dataclass(eq=False)
class EstimateJob:
    key: AreaKey
    geometry: QgsGeometry
    crs: QgsCoordinateReferenceSystem
    #: Write the result back to the survey GeoPackage when done.
    persist: bool = False

    @classmethod
    def copy_of(cls, key: AreaKey, geometry: QgsGeometry, crs: QgsCoordinateReferenceSystem,
                persist: bool = False) -> EstimateJob:
        return cls(key, QgsGeometry(geometry), QgsCoordinateReferenceSystem(crs), persist)


@dataclass
class EstimateOutcome:
    results: dict[AreaKey, TonnageResult] = field(default_factory=dict)
    curves: dict[AreaKey, list[TonnageResult]] = field(default_factory=dict)
    errors: dict[AreaKey, str] = field(default_factory=dict)
    targets: dict[AreaKey, ExplorationTarget | str] = field(default_factory=dict)  # or why there is none


class EstimateTask(QgsTask):
    """One estimate per job at ``inputs``; with ``cutoffs``, a grade-tonnage curve per job instead; with
    ``target``, each job's exploration target too."""

    def __init__(self, description: str, jobs: Sequence[EstimateJob], inputs: EstimateInputs,
                 on_done: Callable[[EstimateTask, bool], None] | None,
                 cutoffs: Sequence[float] | None = None, target: TargetOptions | None = None) -> None:
        super().__init__(description, QgsTask.CanCancel)
        self.jobs = list(jobs)
        self.inputs = inputs
        self.cutoffs = None if cutoffs is None else list(cutoffs)
        self.target = target  # with a curve: the exploration target of each job too
        self.on_done = on_done
        self.outcome = EstimateOutcome()

    def run(self) -> bool:
        with reusing_open_rasters():
            return self._run_jobs()

    def _run_jobs(self) -> bool:
        for number, job in enumerate(self.jobs):
            if self.isCanceled():
                return False
            try:
                if self.cutoffs is None:
                    self.outcome.results[job.key] = estimate_geometry(job.geometry, job.crs, self.inputs,
                                                                      cancelled=self.isCanceled)
                    if self.target is not None and not self.isCanceled():  # the live sketch's target
                        self._target(job)
                else:
                    self.outcome.curves[job.key] = curve_for_geometry(job.geometry, job.crs, self.inputs,
                                                                      self.cutoffs, cancelled=self.isCanceled)
                    if self.target is not None and not self.isCanceled():
                        self._target(job)
            except TonnageCancelled:  # within about a tile's work of the click
                return False
            except TonnageInputError as error:
                self.outcome.errors[job.key] = str(error)
            except Exception as error:  # an engine bug must not kill QGIS; details go to the log
                self.outcome.errors[job.key] = f"Unexpected error: {error}"
                log.logger.error("Estimate of %s failed:\n%s", job.key, traceback.format_exc())
            self.setProgress(100.0 * (number + 1) / len(self.jobs))
        return not self.isCanceled()

    def _target(self, job: EstimateJob) -> None:
        options = self.target
        try:
            self.outcome.targets[job.key] = target_for_geometry(job.geometry, job.crs, self.inputs, options.ranges,
                                                                options.draws, options.seed,
                                                                cancelled=self.isCanceled)
        except TonnageInputError as error:
            self.outcome.targets[job.key] = str(error)

    def finished(self, result: bool) -> None:
        if self.on_done is not None:
            self.on_done(self, result)
