"""QGIS's own messages about an OUTPUT written first to a hidden file beside the user's, told of the user's file.

An output file is written in a hidden folder beside the earlier one and moved over it once its rows are counted
(``tonnage_algorithm._staged``). QGIS's sink reports a row it cannot write ("Feature could not be written to …")
to the run's feedback itself, naming the file it writes: on a full disk the log named the hidden staging file, a
path the user never gave and cannot find afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from qgis.core import QgsProcessingContext, QgsProcessingFeedback


class _Renaming(QgsProcessingFeedback):
    """Passes messages on to ``feedback`` with ``staged`` named as ``path``."""

    def __init__(self, feedback: QgsProcessingFeedback, staged: str, path: str):
        super().__init__()
        self._feedback, self._staged, self._path = feedback, staged, path

    def _told(self, text: str) -> str:
        return text.replace(self._staged, self._path)

    def reportError(self, error: str, fatalError: bool = False) -> None:  # noqa: N802, N803 - QGIS API
        self._feedback.reportError(self._told(error), fatalError)

    def pushWarning(self, warning: str) -> None:  # noqa: N802 - QGIS API name
        self._feedback.pushWarning(self._told(warning))

    def pushInfo(self, info: str) -> None:  # noqa: N802 - QGIS API name
        self._feedback.pushInfo(self._told(info))


@contextmanager
def naming_the_users_file(context: QgsProcessingContext, staged: str | None, path: str | None) -> Iterator[None]:
    """While OUTPUT's sink is made and written: QGIS's messages through ``context`` name ``path``, not ``staged``
    (nothing changes when the output is not staged or the run has no feedback)."""
    original = context.feedback()
    if staged is None or path is None or original is None:
        yield
        return
    renaming = _Renaming(original, staged, path)
    context.setFeedback(renaming)
    try:
        yield
    finally:
        context.setFeedback(original)
