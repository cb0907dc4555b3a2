"""A layer that OUTPUT adds to a GeoPackage (``ogr:dbname='f.gpkg' table="t"``), taken back when its write fails.

QGIS writes such a layer in place, in the user's own file: a full disk that fails the rows after the table was made
left an empty table beside the user's layers, and a new file that could not be filled was left as an empty
GeoPackage. Whatever the run made anew is removed again, so the file is left as it was; a table that was there
before is replaced by QGIS whatever happens, as by its own algorithms. QGIS 3.40 and later commit the table before
its rows: a disk too full for the rows can be too full to take the table out again, and the user is told so.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from ..report.file_set import SQLITE_FILES, by_sqlite_driver, layer_names, open_vector, same_layer

#: The file of an "ogr:dbname='...' table=..." destination (a layer in a GeoPackage, say).
_OGR_FILE = re.compile(r"""^ogr:dbname=(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\S+))""")
#: The table of an "ogr:dbname='...' table=..." destination.
_OGR_TABLE = re.compile(r"""\btable=(?:"((?:[^"\\]|\\.)*)"|(\S+))""")
#: A quote or backslash escaped inside a quoted value of a data source URI (QgsDataSourceUri writes o\'k.gpkg).
_ESCAPED = re.compile(r"\\(.)")


def ogr_file(destination: str) -> str | None:
    """The file an ``ogr:`` destination names, unescaped where it was quoted; None without one."""
    found = _OGR_FILE.match(destination)
    path = next((part for part in found.groups() if part), None) if found else None
    return _ESCAPED.sub(r"\1", path) if path and found and not found.group(3) else path


def ogr_table(destination: str) -> str | None:
    """The table an ``ogr:`` destination names, unescaped; None without one."""
    found = _OGR_TABLE.search(destination)
    return _ESCAPED.sub(r"\1", found.group(1) or found.group(2)) if found else None


@dataclass(frozen=True)
class AddedTable:
    """What the file of an ``ogr:`` OUTPUT held before the run: whether the file and the table were there."""

    path: str
    table: str
    file_existed: bool
    table_existed: bool
    #: Written by GDAL's SQLite driver, which renames the table ("a-b" is made as "a_b").
    sqlite: bool = False

    @classmethod
    def before(cls, destination: str, path: str | None) -> AddedTable | None:
        """The state of ``path`` (the destination's file) before the write; None for any other destination."""
        table = ogr_table(destination) if destination.startswith("ogr:") else None
        if path is None or table is None:
            return None
        sqlite = by_sqlite_driver(path)
        if not os.path.exists(path):
            return cls(path, table, file_existed=False, table_existed=False, sqlite=sqlite)
        names = layer_names(path)
        existed = names is None or any(same_layer(name, table, sqlite) for name in names)  # unreadable: left alone
        return cls(path, table, file_existed=True, table_existed=existed, sqlite=sqlite)

    def undo(self) -> str:
        """Remove what the failed write made; what is said of it, or of what is left ('' when nothing was made,
        or a file made anew could not be removed: QGIS's message names it)."""
        if not self.file_existed:
            removed = False
            for name in (self.path + suffix for suffix in SQLITE_FILES):
                if os.path.exists(name):
                    try:
                        os.remove(name)
                        removed = True
                    except OSError:
                        return ""
            return f"{self.path} was not left behind" if removed else ""
        if self.table_existed:
            return ""
        names = layer_names(self.path) or []
        made = [index for index, name in enumerate(names) if same_layer(name, self.table, self.sqlite)]  # new ones
        if not made:
            return f"{self.path} is left as it was"
        index, name = made[0], names[made[0]]  # as GDAL named it
        source = open_vector(self.path, update=True)
        try:
            try:
                failed = source is None or source.DeleteLayer(index) != 0
            except RuntimeError:  # GDAL's exceptions on
                failed = True
        finally:
            source = None
        if failed:  # a disk too full for even the deletion's journal: said, so the user can remove it
            return (
                f'the table "{name}" it made is left in {self.path}: it could not be taken out again (delete '
                "it there once there is room on the disk)"
            )
        return f'{self.path} is left as it was (the table "{name}" was taken out again)'
