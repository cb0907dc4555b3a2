"""The file and table of an OUTPUT that adds a layer to a GeoPackage (``ogr:dbname='f.gpkg' table="t"``)."""

from __future__ import annotations

import re

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
