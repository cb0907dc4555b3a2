"""Where the plugin's resources and sample data live.

In the repository they sit beside the package; in the staged or installed plugin (``make stage``) they are
copied inside it. Everything that needs a file asks this module, so both layouts work.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _root() -> Path:
    """The folder that holds ``resources/`` and ``sample_data/``."""
    if (PACKAGE_DIR / "resources").is_dir():
        return PACKAGE_DIR
    return PACKAGE_DIR.parent


def resources_dir() -> Path:
    return _root() / "resources"


def sample_data_dir() -> Path:
    return _root() / "sample_data"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def sample_data(*parts: str) -> Path:
    return sample_data_dir().joinpath(*parts)
