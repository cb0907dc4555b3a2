"""All-or-nothing writing of a set of files (the report's PDF, CSV and GeoPackage).

Every file is first written to a temporary file beside its target and checked by its writer; only when all are
complete are the targets replaced, each by an atomic ``os.replace`` within its folder, and if one replacement
fails the ones already made are undone from hard-linked (or copied) backups. A failure therefore leaves the
earlier set as it was, and no temporary file behind.

Temporary names say who made them: ``.<target name>.rare-earth-tmp-<host>-<pid>-<random><suffix>`` (the
suffix kept, because GDAL picks a format by it). A process killed mid-export leaves such files; the next export
into that folder removes those whose process is gone (or that are older than a day), never those of an export
still running. QGIS-free, so the guarantees are tested without QGIS.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import socket
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

from osgeo import ogr

from .errors import ReportError

TEMP_MARK = "rare-earth-tmp"
BACKUP_MARK = "rare-earth-old"
#: Work folders (chart images) in the system's temporary folder; the old unmarked ones came from killed runs.
WORK_PREFIX = "rare_earth_report_"
#: Leftovers older than this are removed even when their process cannot be checked (another host, Windows).
STALE_SECONDS = 24 * 3600
#: Free space below which a failed write is put down to a full disk.
FULL_BYTES = 1024 * 1024
_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_LEFTOVER = re.compile(rf"^\..+\.(?:{TEMP_MARK}|{BACKUP_MARK})-(?P<host>[0-9a-f]{{6}})-(?P<pid>\d+)-[0-9a-f]+")
#: ``work_folder``'s names exactly (``mkdtemp`` adds 8 characters): nothing else in the shared temporary folder,
#: such as a user's ``rare_earth_report_final.pdf``, is ever taken for one.
_WORK = re.compile(rf"^{WORK_PREFIX}(?P<host>[0-9a-f]{{6}})-(?P<pid>\d+)-[0-9a-f]{{8}}[a-z0-9_]{{8}}$")


def _owner() -> str:
    return f"{_HOST}-{os.getpid()}-{secrets.token_hex(4)}"


def marked_name(target: Path, mark: str = TEMP_MARK) -> Path:
    """A fresh hidden name beside ``target`` that ``sweep`` recognises, ending in ``target``'s suffix."""
    return target.parent / f".{target.name}.{mark}-{_owner()}{target.suffix}"


def _process_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there; the age limit decides instead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale(path: Path, host: str, pid: str) -> bool:
    if host == _HOST and not _process_alive(int(pid)):
        return True
    try:
        return time.time() - path.lstat().st_mtime > STALE_SECONDS
    except OSError:
        return False


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def sweep(folder: Path, pattern: re.Pattern = _LEFTOVER, folders_only: bool = False) -> list[Path]:
    """Remove the leftovers of killed exports in ``folder`` (SQLite's -wal/-journal files included); with
    ``folders_only``, only folders (work folders are never files)."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if folders_only and not (entry.is_dir() and not entry.is_symlink()):
            continue
        if match and _is_stale(entry, match.group("host"), match.group("pid")):
            _remove(entry)
            removed.append(entry)
    return removed


def os_reason(error: OSError) -> str:
    """Plain words for the usual causes, instead of an errno."""
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    if error.errno == errno.EROFS:
        return "the drive is read-only"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


def free_space_note(folder: Path) -> str:
    """' (N KB free)' when the drive is nearly full, to explain a cut-off file; else ''."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    return f" ({free // 1024:,} KB free on that drive)" if free < 64 * 1024 * 1024 else ""


def nearly_full(folder: Path) -> bool:
    """Less room than a small report needs: writers that hide ENOSPC (GDAL, Qt) then failed for this."""
    try:
        return shutil.disk_usage(folder).free < FULL_BYTES
    except OSError:
        return False


def check_writable_folder(folder: Path, parameter: str = "output file") -> None:
    """Raise ``ReportError`` unless a file can be created in ``folder`` (tried: permissions can mislead)."""
    probe = marked_name(Path(folder) / "probe")
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as error:
        raise ReportError(f"{parameter}: cannot write in the folder '{folder}' ({os_reason(error)})") from None
    with contextlib.suppress(OSError):
        probe.unlink()


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as stream:
            return stream.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    """An SQLite connection that waits for no lock (``mode``: "ro" or "rw"; never creates the file)."""
    return sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode={mode}", uri=True, timeout=0)


def check_not_locked(target: Path, label: str) -> None:
    """Raise ``ReportError`` when ``target`` is an SQLite file (a GeoPackage) that another program is writing,
    or whose write-ahead journal (``-wal``) holds changes not yet in the file: replaced under the one, its changes
    would go on into the replaced file and be lost; beside the other, the journal would be played into the new
    file (a table the output never had appeared in it). Nor may another process hold it open at all (its next
    edit would go into the new file the same way); in this process (QGIS showing the layer it replaces) the file
    is only read. The journal is emptied into the file first where no program is using it."""
    target = Path(target)
    if not target.is_file() or not _is_sqlite(target):
        return
    holders = open_elsewhere(target)
    if holders:
        raise ReportError(
            f"{label}: '{target}' is open in another program ({listed(holders)}); replaced under it, what that "
            "program writes next would go into the new file through the journal they share: close it there and "
            "try again (the file is left as it was)"
        )
    journal = target.with_name(target.name + "-wal")
    try:
        connection = _connect(target, "rw")
        try:
            connection.execute("BEGIN IMMEDIATE")  # the lock a writer takes: refused while another one holds it
            connection.rollback()
            if _size(journal):
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # stays when another one reads
        finally:
            connection.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise ReportError(
                f"{label}: '{target}' is locked by another program that is writing to it; finish or close that "
                "program's edits and try again (the file is left as it was)"
            ) from None
        return
    if _size(journal):
        raise ReportError(
            f"{label}: '{target}' has changes in its journal ({journal.name}) that another program holding it open "
            "has not yet written into it; close it there and try again (the file is left as it was)"
        )


#: What GDAL's SQLite driver makes of these characters in a layer's name (it lower-cases ASCII letters too).
_LAUNDERED = str.maketrans({"-": "_", "#": "_", "'": "_"})
#: Extensions of a new file GDAL writes with its SQLite driver rather than as a GeoPackage.
_SQLITE_EXTENSIONS = (".sqlite", ".db")
#: A GeoPackage's application_id (header bytes 68-72): "GPKG", or "GP10"/"GP11" of the first versions.
_GEOPACKAGE_IDS = (b"GPKG", b"GP10", b"GP11")


def launders(asked: str) -> bool:
    """Whether GDAL's SQLite driver would give a layer asked for as ``asked`` another name than that (but for
    case): it writes "-", "#" and "'" as "_"."""
    return asked.translate(_LAUNDERED) != asked


def sqlite_layer_name(asked: str) -> str:
    """The name GDAL's SQLite driver gives a layer asked for as ``asked`` ("Results-2026": "results_2026")."""
    return "".join(letter.lower() if letter.isascii() else letter for letter in asked).translate(_LAUNDERED)


def by_sqlite_driver(path: Path | str) -> bool:
    """Whether GDAL writes layers into ``path`` with its SQLite driver (which renames them, ``launders``): an
    SQLite file that is not a GeoPackage, or a new file of such an extension."""
    path = Path(path)
    if not path.is_file():
        return path.suffix.lower() in _SQLITE_EXTENSIONS
    if not _is_sqlite(path):
        return False
    try:
        with open(path, "rb") as stream:
            return stream.read(72)[68:72] not in _GEOPACKAGE_IDS
    except OSError:
        return False


def same_layer(name: str, asked: str, sqlite: bool) -> bool:
    """Whether GDAL's layer ``name`` is the one made when ``asked`` was given: equal but for case, or (``sqlite``:
    written by GDAL's SQLite driver, ``by_sqlite_driver``) as that driver names it."""
    return name.casefold() in (asked.casefold(), sqlite_layer_name(asked).casefold() if sqlite else None)


def committed_rows(path: Path | str, table: str) -> int | None:
    """The rows of ``table`` in the SQLite file ``path`` (a GeoPackage) as a connection of its own reads them:
    what was committed, whatever a connection still open holds or the file's metadata says (after a COMMIT a
    full disk failed, GDAL's feature count in ``gpkg_ogr_contents`` claims all the rows, and QGIS 3.40 and later
    report it). The table is found by its very name, else as GDAL names it (``same_layer``). 0 where the file
    has no such table; None where the file cannot be read as SQLite, or a writer's lock keeps it from being read
    (nothing is claimed then)."""
    path = Path(path)
    if not _is_sqlite(path):
        return None
    try:
        connection = _connect(path, "ro")
        try:
            names = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            exact = (name for name in names if name.casefold() == table.casefold())
            sqlite = by_sqlite_driver(path)
            name = next(exact, None) or next((name for name in names if same_layer(name, table, sqlite)), None)
            if name is None:
                return 0
            quoted = name.replace('"', '""')
            (count,) = connection.execute(f'SELECT COUNT(*) FROM "{quoted}"').fetchone()
            return int(count)
        finally:
            connection.close()
    except sqlite3.Error:
        return None


#: A database's own file and those SQLite keeps beside it, which a process holding it open writes to by name.
SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def open_elsewhere(target: Path) -> list[str]:
    """The other processes (name and id) holding the SQLite file ``target`` or its journal open, as Linux's
    /proc shows them to this user; [] where there is no /proc."""
    wanted = {str(real_file(target)) + suffix for suffix in SQLITE_FILES}
    found = []
    try:
        processes = [entry for entry in os.listdir("/proc") if entry.isdigit() and int(entry) != os.getpid()]
    except OSError:
        return []
    for process in processes:
        try:
            descriptors = os.listdir(f"/proc/{process}/fd")
        except OSError:  # gone, or another user's
            continue
        for descriptor in descriptors:
            try:
                held = os.readlink(f"/proc/{process}/fd/{descriptor}") in wanted
            except OSError:
                continue
            if held:
                found.append(f"{_process_name(process)}, process {process}")
                break
    return found


def _process_name(process: str) -> str:
    try:
        with open(f"/proc/{process}/comm", encoding="utf-8", errors="replace") as file:
            return file.read().strip() or "a program"
    except OSError:
        return "a program"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


#: Tables SpatiaLite makes for itself (its metadata, styles, coverages), by exact name: a user's layer may well be
#: called "spatial_units" or "knn_points".
_SPATIALITE_TABLES = frozenset(
    name.casefold()
    for name in (
        "ElementaryGeometries",
        "KNN",
        "KNN2",
        "SpatialIndex",
        "data_licenses",
        "geom_cols_ref_sys",
        "geometry_columns",
        "geometry_columns_auth",
        "geometry_columns_field_infos",
        "geometry_columns_statistics",
        "geometry_columns_time",
        "spatial_ref_sys",
        "spatial_ref_sys_all",
        "spatial_ref_sys_aux",
        "spatialite_history",
        "sql_statements_log",
        "vector_layers",
        "vector_layers_auth",
        "vector_layers_field_infos",
        "vector_layers_statistics",
        "views_geometry_columns",
        "views_geometry_columns_auth",
        "views_geometry_columns_field_infos",
        "views_geometry_columns_statistics",
        "virts_geometry_columns",
        "virts_geometry_columns_auth",
        "virts_geometry_columns_field_infos",
        "virts_geometry_columns_statistics",
        "layer_statistics",
        "views_layer_statistics",
        "virts_layer_statistics",
        "ISO_metadata",
        "ISO_metadata_reference",
        "ISO_metadata_view",
        "SE_external_graphics",
        "SE_external_graphics_view",
        "SE_fonts",
        "SE_fonts_view",
        "SE_raster_styled_layers",
        "SE_raster_styled_layers_view",
        "SE_vector_styled_layers",
        "SE_vector_styled_layers_view",
        "SE_styled_groups",
        "SE_styled_group_refs",
        "raster_coverages",
        "raster_coverages_keyword",
        "raster_coverages_ref_sys",
        "raster_coverages_srid",
        "vector_coverages",
        "vector_coverages_keyword",
        "vector_coverages_ref_sys",
        "vector_coverages_srid",
        "wms_getcapabilities",
        "wms_getmap",
        "wms_ref_sys",
        "wms_settings",
        "rl2map_configurations",
        "rl2map_configurations_view",
        "topologies",
        "networks",
        "stored_procedures",
        "stored_variables",
    )
)
#: Prefixes the GeoPackage standard and SQLite reserve for themselves; QGIS's saved styles go with the layer.
_RESERVED = ("gpkg_", "sqlite_")
_STYLES = "layer_styles"


def _index_tables(connection: sqlite3.Connection, names: set[str]) -> set[str]:
    """The spatial index tables of the file's geometry columns (GeoPackage's rtree_<t>_<c>, SpatiaLite's
    idx_<t>_<c>, each with its _node, _parent and _rowid tables), by their exact names."""
    found: set[str] = set()
    for registry, prefix, query in (
        ("gpkg_geometry_columns", "rtree", "SELECT table_name, column_name FROM gpkg_geometry_columns"),
        ("geometry_columns", "idx", "SELECT f_table_name, f_geometry_column FROM geometry_columns"),
    ):
        if registry not in names:
            continue
        try:
            pairs = connection.execute(query).fetchall()
        except sqlite3.Error:  # an older layout of the registry
            continue
        for table, column in pairs:
            base = f"{prefix}_{table}_{column}".casefold()
            found.update({base, f"{base}_node", f"{base}_parent", f"{base}_rowid"})
    return found


def other_layers(target: Path, own: str) -> list[str]:
    """The tables and views of the SQLite file (a GeoPackage, a SpatiaLite database) ``target`` other than ``own``
    and the formats' own (metadata, spatial indexes, QGIS's saved styles): layers, attribute tables, a QGIS
    project saved in it, which writing a new file over it would delete; of another file of several layers (the
    sheets of a workbook, the folders of a KML), those other than ``own``; [] for anything else."""
    target = Path(target)
    if not target.is_file():
        return []
    if not _is_sqlite(target):
        return _other_ogr_layers(target, own)
    try:
        connection = _connect(target, "ro")
        try:
            names = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
            }
            if "gpkg_contents" in names:  # what a GeoPackage registers (a layer may be a view)
                names.update(row[0] for row in connection.execute("SELECT table_name FROM gpkg_contents"))
            indexes = _index_tables(connection, names)
        finally:
            connection.close()
    except sqlite3.Error:  # unreadable: GDAL says so when it writes
        return []
    system = _SPATIALITE_TABLES | indexes | {own.casefold(), _STYLES}
    return sorted(name for name in names if name.casefold() not in system and not name.casefold().startswith(_RESERVED))


def open_vector(path: Path | str, update: bool = False) -> ogr.DataSource | None:
    """The vector file ``path`` opened by GDAL, or None where GDAL cannot read it, whether it says so by
    returning None or (with its exceptions on, as newer GDAL builds and other plugins set them) by raising."""
    try:
        return ogr.Open(str(path), 1 if update else 0)
    except RuntimeError:
        return None


def layer_names(path: Path | str) -> list[str] | None:
    """The layers of the vector file ``path``, as GDAL lists them; None where it cannot read the file."""
    source = open_vector(path)
    if source is None:
        return None
    try:
        return [source.GetLayer(index).GetName() for index in range(source.GetLayerCount())]
    finally:
        source = None


def _other_ogr_layers(target: Path, own: str) -> list[str]:
    """The layers other than ``own`` of a file GDAL reads as several (a file of one layer, whatever its name, is
    the output written again)."""
    names = layer_names(target) or []
    return sorted(name for name in names if name.casefold() != own.casefold()) if len(names) > 1 else []


def listed(names: Sequence[str], most: int = 5) -> str:
    """``a, b, c and 4 more``."""
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def fsync_file(path: Path) -> None:
    """Flush ``path`` to the disk: a full disk may only show here (delayed allocation)."""
    with open(path, "rb+") as stream:
        os.fsync(stream.fileno())


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def real_file(path: Path | str) -> Path:
    """The file a path names, through links: a link given as a target is kept and its file replaced."""
    return Path(os.path.realpath(path))


def work_folder() -> Path:
    """A new private folder in the system's temporary folder, marked so that ``sweep`` removes it once its
    process is gone; the caller removes it when done."""
    try:
        return Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{_owner()}"))
    except OSError as error:
        raise ReportError(
            f"temporary folder '{tempfile.gettempdir()}': cannot create the report's working files ({os_reason(error)})"
        ) from None


class FileSet:
    """Temporary files for ``targets`` (path, label for messages); ``commit`` replaces all targets at once.

    Use as a context manager: leaving it without ``commit`` (an error, a cancel) removes every temporary file
    and the work folder."""

    def __init__(self, targets: Sequence[tuple[Path, str]]) -> None:
        # a link's file is replaced, not the link: it keeps pointing where the user made it point
        self.labels = {real_file(path): label for path, label in targets}
        self.temporaries = {path: marked_name(path) for path in self.labels}
        self._work: Path | None = None
        for folder in {path.parent for path in self.labels}:
            sweep(folder)
        sweep(Path(tempfile.gettempdir()), _WORK, folders_only=True)

    def __enter__(self) -> FileSet:
        return self

    def __exit__(self, *_exc) -> None:
        self.discard()

    def temporary(self, target: Path) -> Path:
        return self.temporaries[real_file(target)]

    def work_folder(self) -> Path:
        """A private folder for intermediate files (chart images), removed with the set."""
        if self._work is None:
            self._work = work_folder()
        return self._work

    @contextlib.contextmanager
    def writing(self, target: Path) -> Iterator[Path]:
        """Yield the temporary path of ``target``; an ``OSError`` or a writer's ``ReportError`` (a reason) becomes
        one message naming the file."""
        target = real_file(target)
        try:
            yield self.temporary(target)
        except (OSError, ReportError) as error:
            reason = os_reason(error) if isinstance(error, OSError) else str(error)
            self._discard(self.temporary(target))  # first, so the free space reported is what is really free
            if nearly_full(target.parent) and "disk is full" not in reason:
                reason = f"the disk is full ({reason})"
            raise ReportError(
                f"{self.labels[target]} '{target}' was not written: {reason}"
                f"{free_space_note(target.parent)}. {self.kept()}"
            ) from None

    def kept(self) -> str:
        """What a failure leaves: the earlier files as they were, or, where there were none, no file at all."""
        return (
            "The earlier files are unchanged." if any(path.exists() for path in self.labels) else "No file was written."
        )

    def commit(self) -> list[Path]:
        """Replace every target by its (complete, checked) temporary file; all or none."""
        for target, temporary in self.temporaries.items():
            if not temporary.is_file() or temporary.stat().st_size == 0:
                raise ReportError(f"{self.labels[target]}: nothing was written to '{target}'")
            check_not_locked(target, self.labels[target])
        backups: dict[Path, Path | None] = {}
        replaced: list[Path] = []
        try:
            for target in self.temporaries:
                backups[target] = self._backup(target)
            for target, temporary in self.temporaries.items():
                if target.exists():  # a replaced report keeps the permissions it was given
                    os.chmod(temporary, target.stat().st_mode & 0o777)
                os.replace(temporary, target)
                replaced.append(target)
        except OSError as error:
            self._undo(replaced, backups)
            failed = next((t for t in self.temporaries if t not in replaced), None)
            label = f"{self.labels[failed]} '{failed}'" if failed is not None else "the report"
            raise ReportError(f"{label} cannot be replaced: {os_reason(error)}. {self.kept()}") from None
        finally:
            for backup in backups.values():
                if backup is not None:
                    _remove(backup)
        for folder in {target.parent for target in self.temporaries}:
            _fsync_folder(folder)
        return list(self.temporaries)

    @staticmethod
    def _backup(target: Path) -> Path | None:
        if not target.exists():
            return None
        backup = marked_name(target, BACKUP_MARK)
        try:
            os.link(target, backup)
        except OSError:  # no hard links here (FAT, some network shares): a copy does
            shutil.copy2(target, backup)
        return backup

    @staticmethod
    def _undo(replaced: list[Path], backups: dict[Path, Path | None]) -> None:
        for target in reversed(replaced):
            backup = backups.get(target)
            with contextlib.suppress(OSError):
                if backup is None:
                    target.unlink()
                else:
                    os.replace(backup, target)
                    backups[target] = None

    @staticmethod
    def _discard(temporary: Path) -> None:
        for path in (temporary, *(temporary.with_name(temporary.name + end) for end in ("-wal", "-shm", "-journal"))):
            _remove(path)

    def discard(self) -> None:
        """Remove every temporary file (with SQLite's sidecars) and the work folder."""
        for temporary in self.temporaries.values():
            self._discard(temporary)
        if self._work is not None:
            _remove(self._work)
            self._work = None
