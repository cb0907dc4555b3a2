"""Writing rows of the survey-areas GeoPackage directly with SQLite: short waits, whole transactions, a file
that is self-contained after every write.

QGIS's OGR provider waits up to 20 s on a file another program has locked, on the GUI thread, and leaves
committed rows in the ``-wal`` file. Here a write waits at most ``BUSY_SECONDS``, fails with a plain reason, and
the WAL (if the file is in WAL mode, as QGIS leaves it after editing) is checkpointed into the ``.gpkg``, so the
one file carries every area when it is copied. GDAL's R-tree triggers call ``ST_IsEmpty``/``ST_MinX``...; they
are provided from the GeoPackage geometry header. QGIS-free: geometries come in as ISO WKB with their envelope.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Longest wait for another program's lock, on the GUI thread: a moment, not a freeze.
BUSY_SECONDS = 0.25
#: Geometry types of a layer that can hold a drawn (multi)polygon.
POLYGON_TYPES = ("MULTIPOLYGON", "POLYGON", "GEOMETRY", "MULTISURFACE", "CURVEPOLYGON")
_SQL_TYPES = {"string": "TEXT", "int": "MEDIUMINT", "double": "REAL"}


class GpkgWriteError(RuntimeError):
    """The GeoPackage cannot be read or written now; ``str()`` is the reason in plain words."""


def plain_reason(error: sqlite3.Error) -> str:
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return "another program is using the file (it is locked)"
    if "readonly" in text or "read-only" in text:
        return "the file or its folder is read-only"
    if "full" in text:
        return "the disk is full"
    if "not a database" in text or "malformed" in text:
        return "it is not a readable GeoPackage"
    if "unable to open" in text:
        return "the file cannot be opened"
    return str(error)


def _os_reason(error: OSError) -> str:
    if error.errno in (errno.EROFS, errno.EPERM, errno.EACCES):
        return "the file or its folder is read-only"
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    return error.strerror or str(error)


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) from a GeoPackage geometry header; None for NULL, empty or no envelope."""
    if not blob or len(blob) < 8 or blob[:2] != b"GP":
        return None
    flags = blob[3]
    if flags & 0x10 or (flags >> 1) & 0x07 == 0:
        return None
    order = "<" if flags & 0x01 else ">"
    return struct.unpack(f"{order}4d", blob[8:40])


def _is_empty(blob: bytes | None) -> int:
    return 1 if not blob or len(blob) < 4 or blob[3] & 0x10 else 0


def geometry_blob(wkb: bytes, srs_id: int, envelope: tuple[float, float, float, float]) -> bytes:
    """A GeoPackage geometry: ``GP``, version 0, little-endian with an xy envelope, the srs id, ISO WKB."""
    minx, maxx, miny, maxy = envelope
    return b"GP" + bytes((0, 0x03)) + struct.pack("<i4d", srs_id, minx, maxx, miny, maxy) + bytes(wkb)


@dataclass(frozen=True)
class Table:
    name: str
    geometry_column: str
    srs_id: int
    columns: tuple[str, ...]
    geometry_type: str = "MULTIPOLYGON"


@contextlib.contextmanager
def connect(path: Path, write: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection that waits ``BUSY_SECONDS`` at most; errors become ``GpkgWriteError``."""
    if not Path(path).is_file():
        raise GpkgWriteError("the file does not exist")
    if write:  # SQLite would quietly open a write-protected file read-only; the kernel says it now
        try:
            os.close(os.open(path, os.O_RDWR))
        except OSError as error:
            raise GpkgWriteError(_os_reason(error)) from None
    uri = f"{Path(path).resolve().as_uri()}{'' if write else '?mode=ro'}"
    db = None
    try:
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None)
        db.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
        for index, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
            db.create_function(name, 1, lambda blob, i=index: (_envelope(blob) or (None,) * 4)[i], deterministic=True)
        yield db
    except sqlite3.Error as error:
        raise GpkgWriteError(plain_reason(error)) from None
    finally:
        if db is not None:
            db.close()


def table(db: sqlite3.Connection, name: str) -> Table | None:
    """The feature table ``name`` with its geometry column, or None if the file has no such layer."""
    row = db.execute(
        "SELECT column_name, srs_id, geometry_type_name FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)",
        (name,),
    ).fetchone()
    if row is None:
        return None
    columns = tuple(info[1] for info in db.execute(f'PRAGMA table_info("{name}")'))
    return Table(name, row[0], int(row[1]), columns, str(row[2]).upper())


def migrate(path: Path, name: str, fields: Sequence[tuple[str, str]]) -> list[str]:
    """Add the ``fields`` (name, python type name) the table lacks; returns the names added."""
    with connect(path) as db:
        found = table(db, name)
        if found is None:
            raise GpkgWriteError(f"it has no '{name}' layer with geometries")
        if found.geometry_type not in POLYGON_TYPES:
            raise GpkgWriteError(f"its '{name}' layer holds {found.geometry_type.lower()} geometries, not polygons")
        present = {column.lower() for column in found.columns}
        missing = [(field, kind) for field, kind in fields if field.lower() not in present]
        if missing:
            db.execute("BEGIN IMMEDIATE")
            try:
                for field, kind in missing:
                    db.execute(f'ALTER TABLE "{name}" ADD COLUMN "{field}" {_SQL_TYPES[kind]}')
                db.execute("COMMIT")
            except sqlite3.Error:
                db.execute("ROLLBACK")
                raise
            checkpoint(db)
        return [field for field, _kind in missing]


def checkpoint(db: sqlite3.Connection) -> None:
    """Move committed rows from the -wal file into the .gpkg, so the one file is complete."""
    if db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _transaction(db: sqlite3.Connection, statements: Sequence[tuple[str, Sequence]]) -> list[sqlite3.Cursor]:
    db.execute("BEGIN IMMEDIATE")
    try:
        cursors = [db.execute(sql, values) for sql, values in statements]
        db.execute("COMMIT")
    except sqlite3.Error:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    checkpoint(db)
    return cursors


@dataclass(frozen=True)
class NewRow:
    """A feature to insert: ISO WKB, its (minx, maxx, miny, maxy) envelope, attribute values by field."""

    wkb: bytes
    envelope: tuple[float, float, float, float]
    values: Mapping[str, object]


def insert(path: Path, name: str, rows: Sequence[NewRow]) -> list[int]:
    """Insert ``rows`` in one transaction (all or none); returns their feature ids."""
    with connect(path) as db:
        found = table(db, name)
        if found is None:
            raise GpkgWriteError(f"it has no '{name}' layer")
        statements = []
        for row in rows:
            columns = [found.geometry_column, *row.values]
            quoted = ", ".join(f'"{column}"' for column in columns)
            blob = geometry_blob(row.wkb, found.srs_id, row.envelope)
            statements.append(
                (
                    f'INSERT INTO "{name}" ({quoted}) VALUES ({", ".join("?" * len(columns))})',
                    [blob, *row.values.values()],
                )
            )
        return [cursor.lastrowid for cursor in _transaction(db, statements)]


def update(path: Path, name: str, fid: int, values: Mapping[str, object]) -> None:
    """Change ``values`` of feature ``fid``; a feature that is not there is an error, not a silent no-op."""
    with connect(path) as db:
        assignments = ", ".join(f'"{column}" = ?' for column in values)
        (cursor,) = _transaction(db, [(f'UPDATE "{name}" SET {assignments} WHERE fid = ?', [*values.values(), fid])])
        if cursor.rowcount != 1:
            raise GpkgWriteError(f"the area (feature {fid}) is no longer in the file")


def delete(path: Path, name: str, fid: int) -> None:
    with connect(path) as db:
        (cursor,) = _transaction(db, [(f'DELETE FROM "{name}" WHERE fid = ?', [fid])])
        if cursor.rowcount != 1:
            raise GpkgWriteError(f"the area (feature {fid}) is no longer in the file")


def check_usable(path: Path) -> None:
    """Raise ``GpkgWriteError`` unless the file can be written right now (no lock, not read-only)."""
    probe = Path(path).with_name(f".{Path(path).name}.rare-earth-probe-{os.getpid()}")
    try:  # the journal is created beside the file: its folder must take new files
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.unlink(probe)
    except OSError as error:
        raise GpkgWriteError(_os_reason(error)) from None
    with connect(path) as db:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")


def copy(source: Path, target: Path) -> None:
    """A consistent copy of ``source`` (committed rows only, even mid-write elsewhere) as a new ``target``."""
    if Path(target).exists():
        raise GpkgWriteError(f"{target} exists already")
    try:
        with connect(source, write=False) as db, contextlib.closing(sqlite3.connect(str(target))) as copy_db:
            db.backup(copy_db)
            copy_db.execute("PRAGMA journal_mode=DELETE")
    except (GpkgWriteError, sqlite3.Error, OSError) as error:
        with contextlib.suppress(OSError):
            Path(target).unlink()
        reason = plain_reason(error) if isinstance(error, sqlite3.Error) else str(error)
        raise GpkgWriteError(reason) from None
