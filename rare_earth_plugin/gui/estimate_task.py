"""Estimates off the main thread, so the canvas and the dock never wait for a large raster.

The task holds only copies of geometries, CRSs and file paths gathered in the main thread; it never touches a
layer. Results go back through ``on_done`` in ``finished()``, which QGIS calls in the main thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from qgis.core import QgsTask

from .. import log
from ..areas import Area, AreaKey
from ..core.exploration_target import ExplorationTarget
from ..core.tonnage import TonnageCancelled, TonnageInputError, TonnageResult
from ..estimation import Estimate, EstimateInputs, curves_for_areas
from ..report.target_options import TargetOptions


@dataclass
class EstimateOutcome:
    results: dict[AreaKey, TonnageResult] = field(default_factory=dict)
    curves: dict[AreaKey, list[TonnageResult]] = field(default_factory=dict)
    errors: dict[AreaKey, str] = field(default_factory=dict)
    targets: dict[AreaKey, ExplorationTarget | str] = field(default_factory=dict)  # or why there is none


class EstimateTask(QgsTask):
    """One estimate per area at ``inputs``; with ``cutoffs``, a grade-tonnage curve per area instead; with
    ``target``, each area's exploration target too.

    ``areas`` are copied (the task never shares a geometry with the main thread); ``persist``: the results
    go back to the survey GeoPackage when done."""

    def __init__(
        self,
        description: str,
        areas: Sequence[Area],
        inputs: EstimateInputs,
        on_done: Callable[[EstimateTask, bool], None] | None,
        cutoffs: Sequence[float] | None = None,
        target: TargetOptions | None = None,
        persist: bool = False,
    ) -> None:
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.areas = [area.copy() for area in areas]
        self.persist = persist
        self.inputs = inputs
        self.cutoffs = None if cutoffs is None else list(cutoffs)
        self.target = target  # each area's exploration target too
        self.on_done = on_done
        self.outcome = EstimateOutcome()

    def run(self) -> bool:
        """Every area in the engine's batch pass (reads run ahead across areas), each area's target from the same
        read; the batch is closed when the task is cancelled, which the engine notices between tiles."""
        cutoffs = (self.inputs.params.cutoff,) if self.cutoffs is None else self.cutoffs
        estimates = curves_for_areas(self.areas, self.inputs, cutoffs, cancelled=self.isCanceled, target=self.target)
        try:
            with contextlib.closing(estimates):  # a cancel stops the engine's reader now, not when collected
                for number, (area, estimate) in enumerate(estimates):
                    self._keep(area, estimate)
                    self.setProgress(100.0 * (number + 1) / len(self.areas))
                    if self.isCanceled():
                        return False
        except TonnageCancelled:  # within about a tile's work of the click
            return False
        except TonnageInputError as error:  # the rasters or the CRS: every area not done yet
            self._fail_the_rest(str(error))
        except Exception as error:  # noqa: BLE001 - an engine bug must not kill QGIS; details go to the log
            log.logger.exception("Estimate of %d areas failed", len(self.areas))
            self._fail_the_rest(f"Unexpected error: {error}")
        return not self.isCanceled()

    def _keep(self, area: Area, estimate: Estimate) -> None:
        if isinstance(estimate, TonnageInputError):
            self.outcome.errors[area.key] = str(estimate)
            if self.target is not None:
                self.outcome.targets[area.key] = str(estimate)
            return
        curve, target = estimate
        if self.cutoffs is None:
            self.outcome.results[area.key] = curve[0]
        else:
            self.outcome.curves[area.key] = curve
        if target is not None:
            self.outcome.targets[area.key] = target

    def _fail_the_rest(self, message: str) -> None:
        for area in self.areas:
            done = (self.outcome.results, self.outcome.curves, self.outcome.errors)
            if not any(area.key in outcome for outcome in done):
                self.outcome.errors[area.key] = message
                if self.target is not None:
                    self.outcome.targets.setdefault(area.key, message)

    def finished(self, result: bool) -> None:
        if self.on_done is not None:
            self.on_done(self, result)
