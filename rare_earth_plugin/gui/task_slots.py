"""Background estimates where the latest run wins: named slots, one progress figure, one busy state.

The dock runs a table run, a curve for the selected area and a live estimate of the sketch; a new run in a slot
supersedes the one before (cancelled, its result never shown). Progress is the mean over every counted task of
the current busy spell, finished and superseded ones at 100 %, so the bar never shows one task's 100 % while
another is at 0 % and never runs backwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from qgis.PyQt.QtCore import QObject, pyqtSignal


class SlotTask(Protocol):
    """What a scheduled task offers: a QgsTask with an ``on_done(task, ok)`` callback attribute."""

    on_done: Callable[[Any, bool], None] | None

    def cancel(self) -> None: ...

    def progress(self) -> float: ...


class TaskSlots(QObject):
    #: True when the first task starts, False when the last one ends.
    busyChanged = pyqtSignal(bool)  # noqa: N815 - Qt signal naming
    #: The aggregated progress, 0-100.
    progressChanged = pyqtSignal(float)  # noqa: N815

    def __init__(self, start: Callable[[Any], None], parent: QObject | None = None) -> None:
        """``start(task)`` hands a task to QGIS (``QgsApplication.taskManager().addTask``; a stub in tests)."""
        super().__init__(parent)
        self._launch = start
        self._slots: dict[str, Any] = {}
        self._callbacks: dict[Any, Callable[[Any, bool], None] | None] = {}
        self._spell: dict[Any, float] = {}  # counted tasks of the current busy spell -> progress

    # Running ------------------------------------------------------------------------------------------------
    def start(self, task, slot: str | None = None, counted: bool = True):
        """Run ``task``; in ``slot``, the task there before is cancelled first. Returns ``task``."""
        if slot is not None:
            self.cancel(slot)
            self._slots[slot] = task
        was_busy = self.busy()
        self._callbacks[task] = task.on_done
        task.on_done = self._finished
        if counted:
            self._spell[task] = 0.0
            task.progressChanged.connect(lambda value, t=task: self._progress(t, value))
        self._launch(task)
        if not was_busy:
            self.busyChanged.emit(True)
        self.progressChanged.emit(self.progress())
        return task

    def cancel(self, slot: str) -> None:
        """Cancel the slot's task: it stops as soon as it can and its callback is never called."""
        task = self._slots.pop(slot, None)
        if task is not None:
            self._discard(task)

    def cancel_all(self) -> list:
        """Cancel everything; returns the tasks that were running (their callbacks are not called)."""
        tasks = list(self._callbacks)
        for task in tasks:
            self._discard(task)
        self._slots.clear()
        return tasks

    def _discard(self, task) -> None:
        if task in self._callbacks:
            self._callbacks[task] = None
            task.cancel()

    # State --------------------------------------------------------------------------------------------------
    def current(self, slot: str):
        return self._slots.get(slot)

    def is_current(self, task, slot: str) -> bool:
        return self._slots.get(slot) is task

    def running(self) -> list:
        return list(self._callbacks)

    def busy(self) -> bool:
        return bool(self._callbacks)

    def progress(self) -> float:
        """Mean progress of the busy spell's counted tasks (0 when none)."""
        return sum(self._spell.values()) / len(self._spell) if self._spell else 0.0

    # Callbacks ----------------------------------------------------------------------------------------------
    def _progress(self, task, value: float) -> None:
        if task in self._spell and task in self._callbacks:
            self._spell[task] = max(self._spell[task], float(value))
            self.progressChanged.emit(self.progress())

    def _finished(self, task, ok: bool) -> None:
        callback = self._callbacks.pop(task, None)
        for slot, current in list(self._slots.items()):
            if current is task:
                del self._slots[slot]
        if task in self._spell:
            self._spell[task] = 100.0
        if not self._callbacks:
            self._spell.clear()
            self.progressChanged.emit(0.0)
            self.busyChanged.emit(False)
        else:
            self.progressChanged.emit(self.progress())
        if callback is not None:
            callback(task, ok)
