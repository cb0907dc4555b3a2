"""The dock's scheduler: latest run wins per slot, superseded results never shown, progress over all tasks."""

from __future__ import annotations

from qgis.PyQt.QtCore import QObject, pyqtSignal

from rare_earth_plugin.gui.task_slots import TaskSlots


class FakeTask(QObject):
    progressChanged = pyqtSignal(float)  # noqa: N815 - as QgsTask

    def __init__(self, name: str, done: list) -> None:
        super().__init__()
        self.name, self.cancelled = name, False
        self.on_done = lambda task, ok: done.append((task.name, ok))

    def cancel(self) -> None:
        self.cancelled = True

    def progress(self) -> float:
        return 0.0

    def finish(self, ok: bool = True) -> None:
        """What QGIS does when run() returns: finished() calls on_done on the main thread."""
        self.on_done(self, ok)


def _slots():
    launched, done, busy, progress = [], [], [], []
    slots = TaskSlots(launched.append)
    slots.busyChanged.connect(busy.append)
    slots.progressChanged.connect(progress.append)
    return slots, launched, done, busy, progress


def test_a_new_run_in_a_slot_cancels_the_old_one_whose_result_is_never_delivered(qapp) -> None:
    slots, launched, done, busy, _progress = _slots()
    first, second = FakeTask("first", done), FakeTask("second", done)
    slots.start(first, "live")
    slots.start(second, "live")
    assert launched == [first, second] and first.cancelled and not second.cancelled
    assert slots.is_current(second, "live") and not slots.is_current(first, "live")
    first.finish(False)  # the superseded task ends later: silently
    assert done == [] and slots.busy()
    second.finish(True)
    assert done == [("second", True)] and not slots.busy()
    assert busy == [True, False]


def test_slots_are_independent_and_unnamed_runs_add_up(qapp) -> None:
    slots, _launched, done, _busy, _progress = _slots()
    table, curve, extra = FakeTask("table", done), FakeTask("curve", done), FakeTask("extra", done)
    slots.start(table, "table")
    slots.start(curve, "curve")
    slots.start(extra)
    assert not any(task.cancelled for task in (table, curve, extra))
    for task in (curve, extra, table):
        task.finish()
    assert done == [("curve", True), ("extra", True), ("table", True)]


def test_progress_is_the_mean_of_the_spell_and_never_one_tasks_100_percent(qapp) -> None:
    slots, _launched, done, _busy, progress = _slots()
    a, b, live = FakeTask("a", done), FakeTask("b", done), FakeTask("live", done)
    slots.start(a)
    slots.start(b)
    slots.start(live, "live", counted=False)
    a.progressChanged.emit(100.0)
    assert progress[-1] == 50.0  # (100 + 0) / 2: b has not started
    live.progressChanged.emit(100.0)  # not counted
    assert slots.progress() == 50.0
    a.finish()
    b.progressChanged.emit(50.0)
    assert progress[-1] == 75.0  # a counts as done, the bar does not drop back
    b.finish()
    assert slots.progress() == 100.0 and slots.busy()  # every counted task done; the live one still runs
    live.finish()
    assert progress[-1] == 0.0 and not slots.busy()


def test_cancel_all_returns_the_running_tasks_and_delivers_nothing(qapp) -> None:
    slots, _launched, done, busy, _progress = _slots()
    tasks = [FakeTask(name, done) for name in "xyz"]
    slots.start(tasks[0], "table")
    slots.start(tasks[1], "curve")
    slots.start(tasks[2])
    assert slots.cancel_all() == tasks and all(task.cancelled for task in tasks)
    assert slots.current("table") is None
    for task in tasks:
        task.finish(False)
    assert done == [] and busy == [True, False]
