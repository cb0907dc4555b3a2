"""The plugin's one logger: Python ``logging`` forwarded to the QGIS log panel under the "Rare Earth" tag.

Core code logs with plain ``logging.getLogger("rare_earth_plugin...")`` and stays QGIS-free; this handler
makes those records visible to QGIS users.
"""

from __future__ import annotations

import logging

from qgis.core import Qgis, QgsMessageLog

LOG_TAG = "Rare Earth"
LOGGER_NAME = "rare_earth_plugin"

_LEVELS = (
    (logging.CRITICAL, Qgis.MessageLevel.Critical),
    (logging.ERROR, Qgis.MessageLevel.Critical),
    (logging.WARNING, Qgis.MessageLevel.Warning),
    (logging.INFO, Qgis.MessageLevel.Info),
)


class QgisLogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        level = next((qgis_level for py_level, qgis_level in _LEVELS if record.levelno >= py_level),
                     Qgis.MessageLevel.Info)
        QgsMessageLog.logMessage(self.format(record), LOG_TAG, level)


logger = logging.getLogger(LOGGER_NAME)


def attach_handler() -> None:
    """Route the plugin's log records to the QGIS log panel (idempotent)."""
    if not any(isinstance(h, QgisLogHandler) for h in logger.handlers):
        logger.addHandler(QgisLogHandler())
    logger.setLevel(logging.INFO)


def detach_handler() -> None:
    for handler in [h for h in logger.handlers if isinstance(h, QgisLogHandler)]:
        logger.removeHandler(handler)
