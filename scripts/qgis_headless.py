"""Start a window-less QGIS (with Processing) for scripts, using a given profile root."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path


def start_qgis(profile_root: Path):
    """Return the running ``QgsApplication``; plugins installed in ``profile_root`` become importable."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if "XDG_RUNTIME_DIR" not in os.environ:  # Qt wants one (mode 0700) and complains on stderr without it
        runtime = tempfile.mkdtemp(prefix="rare-earth-runtime-")
        atexit.register(shutil.rmtree, runtime, ignore_errors=True)
        os.environ["XDG_RUNTIME_DIR"] = runtime
    os.environ["QGIS_CUSTOM_CONFIG_PATH"] = str(profile_root)
    from qgis.core import QgsApplication

    app = QgsApplication([], False, str(profile_root / "profiles" / "default"))
    app.initQgis()
    sys.path.insert(0, "/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    sys.path.insert(0, str(profile_root / "profiles" / "default" / "python" / "plugins"))
    return app
