"""The plugin's one logger: Python ``logging`` forwarded to the QGIS log panel under the "Rare Earth" tag.

Core code logs with plain ``logging.getLogger("rare_earth_plugin...")`` and stays QGIS-free; this handler
makes those records visible to QGIS users.
"""

from __future__ import annotations

import logging
import warnings

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
        level = next(
            (qgis_level for py_level, qgis_level in _LEVELS if record.levelno >= py_level), Qgis.MessageLevel.Info
        )
        QgsMessageLog.logMessage(self.format(record), LOG_TAG, level)


logger = logging.getLogger(LOGGER_NAME)

#: The message bar's title for the plugin's messages.
MESSAGE_TITLE = "Rare Earth"
#: Seconds a message stays in the message bar; a critical one stays until closed (0).
MESSAGE_SECONDS = 10


def message_duration(level: Qgis.MessageLevel) -> int:
    """The one duration rule: critical messages stay until the user closes them, the others ``MESSAGE_SECONDS``."""
    return 0 if level == Qgis.MessageLevel.Critical else MESSAGE_SECONDS


def log_at(level: Qgis.MessageLevel, text: str) -> None:
    """``text`` to the log at the Python level matching the QGIS one."""
    python_level = {Qgis.MessageLevel.Critical: logging.ERROR, Qgis.MessageLevel.Warning: logging.WARNING}
    logger.log(python_level.get(level, logging.INFO), text)


def notify(bar, text: str, level: Qgis.MessageLevel = Qgis.MessageLevel.Warning) -> None:
    """Tell the user: the message bar (``bar``; None, as in ``qgis_process``: only the log) and the log."""
    if bar is not None:
        bar.pushMessage(MESSAGE_TITLE, text, level, message_duration(level))
    log_at(level, text)


def _not_georeferenced_warning() -> type[Warning] | None:
    try:
        from rasterio.errors import NotGeoreferencedWarning
    except ImportError:  # rasterio missing: the plugin says so itself
        return None
    return NotGeoreferencedWarning


def attach_handler() -> None:
    """Route the plugin's log records to the QGIS log panel (idempotent). rasterio's NotGeoreferencedWarning
    is not shown as a Python warning: a raster without georeferencing gets the engine's own plain message."""
    if not any(isinstance(h, QgisLogHandler) for h in logger.handlers):
        logger.addHandler(QgisLogHandler())
    logger.setLevel(logging.INFO)
    category = _not_georeferenced_warning()
    if category is not None:
        warnings.filterwarnings("ignore", category=category)


def detach_handler() -> None:
    for handler in [h for h in logger.handlers if isinstance(h, QgisLogHandler)]:
        logger.removeHandler(handler)
    category = _not_georeferenced_warning()
    warnings.filters[:] = [
        entry
        for entry in warnings.filters
        if not (entry[0] == "ignore" and entry[2] is category and category is not None)
    ]
