"""What QGIS does with a shapefile's parts, which a single-file output does not have to care about.

Before it writes a shapefile, QGIS deletes the parts of any shapefile of that name, matching the name whatever
the case of its letters (Zones.shp deleted zones.shp, the input). And a full disk that cuts a part short is not
seen by counting the layer's features (the count comes from the .shx): the .dbf and .shp are measured against
the counts in their own headers.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

#: The parts of a shapefile QGIS deletes before it writes one (QgsVectorFileWriter::deleteShapeFile).
PARTS = (".shp", ".shx", ".dbf", ".prj", ".qix", ".qpj", ".cpg", ".sbn", ".sbx", ".idm", ".ind")


def clash(path: str) -> list[str]:
    """For a shapefile OUTPUT, the files of another shapefile QGIS would delete first: those of the same name but
    for the case of its letters (zones.shp for Zones.shp or zones.SHP), which it matches as one; none when the
    output names that shapefile exactly (written anew, as asked)."""
    file = Path(path)
    if file.suffix.lower() != ".shp" or not file.parent.is_dir() or file.exists():
        return []
    stem = file.stem.casefold()
    return sorted(
        other.name for other in file.parent.iterdir() if other.stem.casefold() == stem and other.suffix.lower() in PARTS
    )


def cut_short(path: str, rows: int) -> str:
    """Which part of the shapefile ``path`` (its .shp, or a table's .dbf) is shorter than ``rows`` records need
    ('' when none is, or the parts cannot be read: nothing is claimed then)."""
    base, _ = os.path.splitext(path)
    parts = {suffix: _existing(base, suffix) for suffix in (".dbf", ".shp", ".shx")}
    try:
        dbf = parts[".dbf"]
        if dbf is not None:
            with open(dbf, "rb") as file:
                header = file.read(12)
            if len(header) == 12:
                _, header_size, record_size = struct.unpack("<IHH", header[4:12])
                if os.path.getsize(dbf) < header_size + rows * record_size:
                    return dbf
        shp, shx = parts[".shp"], parts[".shx"]
        if shp is not None and shx is not None:
            with open(shp, "rb") as file:
                header = file.read(28)
            if len(header) == 28 and os.path.getsize(shp) < 2 * struct.unpack(">I", header[24:28])[0]:
                return shp
            if os.path.getsize(shx) < 100 + 8 * rows:
                return shx
    except OSError:
        return ""
    return ""


def _existing(base: str, suffix: str) -> str | None:
    """The part ``base`` + ``suffix`` as it is on disk (its suffix in either case), or None."""
    for name in (base + suffix, base + suffix.upper()):
        if os.path.exists(name):
            return name
    return None
