"""The local files GDAL reads for a raster name, found before GDAL opens it.

A raster name is a path, a GDAL connection string (``GPKG:/a.gpkg:table``, ``NETCDF:"f.nc":var``,
``GTIFF_DIR:1:f.tif``), a /vsi path (``/vsigzip//a.gz``, ``/vsizip//a.zip/inner.tif``) or a VRT naming further
sources. Each local file is checked before GDAL touches it (a FIFO, device or socket would block GDAL's open or
read forever), and the signatures of all of them, with the sidecars GDAL may read beside them, tell whether a
dataset kept open is still what the files hold.
"""

from __future__ import annotations

import os
import re
import stat
from xml.etree import ElementTree

from .tonnage_types import TonnageInputError

#: /vsi file systems whose files live elsewhere (or in memory): nothing local to check or watch.
_REMOTE = (
    "/vsicurl",
    "/vsis3",
    "/vsigs",
    "/vsiaz",
    "/vsiadls",
    "/vsioss",
    "/vsiswift",
    "/vsihdfs",
    "/vsiwebhdfs",
    "/vsimem",
)
#: Files GDAL reads beside a raster when present, named by appending to its name: metadata (scale, offset,
#: nodata), masks, overviews (GDAL also tries them upper-case), and SQLite's write-ahead log and shared memory (a
#: GeoPackage written in WAL mode holds new rows there until a checkpoint).
SIDECARS = (".aux.xml", ".aux", ".msk", ".ovr", ".AUX.XML", ".AUX", ".MSK", ".OVR", "-wal", "-shm")
_CONNECTION = re.compile(r"([A-Za-z][A-Za-z0-9_]+):(.+)", re.S)


def raster_files(name: str, role: str) -> tuple[list[str], bool]:
    """The local files GDAL reads to open and read ``name`` (a VRT's sources followed), each checked to be a
    regular file or a directory, and whether that list is complete (False when part is remote or in memory)."""
    files: list[str] = []
    complete = _collect(name, role, files, None)
    _check_folders(files, name, role)
    return files, complete


def _collect(name: str, role: str, files: list[str], parent: str | None) -> bool:
    local = _local_path(name, role, parent)
    if local is None:
        return False
    if local in files:
        return True
    info = _checked_stat(local, role, parent)
    files.append(local)
    complete = True
    if stat.S_ISREG(info.st_mode) and _is_vrt(local):
        for source in _vrt_sources(local):
            complete = _collect(source, role, files, local) and complete
    return complete


def _local_path(name: str, role: str, parent: str | None) -> str | None:
    """The local file ``name`` reads, None when it reads none GDAL does not fetch itself."""
    if name.startswith("/vsi"):
        return _vsi_path(name, role, parent)
    if "://" in name:
        if not name.startswith("vrt://"):
            return None  # a URL
        return _local_path(name[len("vrt://") :].partition("?")[0], role, parent)  # any name GDAL opens, inside
    if os.path.lexists(name):
        return name
    if name.lstrip().startswith("<"):  # a VRT given as its XML text: its sources are not watched
        return None
    embedded = _connection_path(name)
    if embedded is not None:
        return _local_path(embedded, role, parent)
    if _CONNECTION.fullmatch(name):
        return None  # a connection string naming no file (a database, a service): GDAL decides
    raise TonnageInputError(f"{role}: file not found: {name}{_of(parent)}")


def _vsi_path(name: str, role: str, parent: str | None) -> str | None:
    """The local file a /vsi path reads: the archive (or compressed, or cut) file its path starts with."""
    prefix, _, rest = name[1:].partition("/")
    if "/" + prefix in _REMOTE:
        return None
    if prefix == "vsisubfile":
        rest = rest.partition(",")[2]
    elif prefix == "vsicrypt":
        rest = rest.partition("file=")[2]
    if rest.startswith("{"):
        rest = rest[1:].partition("}")[0]
    if rest.startswith("/vsi"):
        return _vsi_path(rest, role, parent)
    container = rest  # the longest leading part that exists: what follows is a path inside it
    while container not in ("", "/") and not os.path.lexists(container):
        container = os.path.dirname(container)
    if container in ("", "/"):
        raise TonnageInputError(f"{role}: file not found: {rest}{_of(parent)}")
    return container


def _connection_path(name: str) -> str | None:
    """The existing file a GDAL connection string such as ``GPKG:/a.gpkg:table`` or ``NETCDF:"f.nc":var``
    names, None when it names none."""
    match = _CONNECTION.fullmatch(name)
    if match is None:
        return None
    rest = match.group(2)
    if rest.startswith('"'):
        quoted = rest[1:].partition('"')[0]
        return quoted if os.path.lexists(quoted) or quoted.startswith("/vsi") else None
    parts = rest.split(":")
    for length in range(len(parts), 0, -1):  # the longest run of ':'-separated parts that is a file
        for start in range(len(parts) - length + 1):
            candidate = ":".join(parts[start : start + length])
            if os.path.lexists(candidate):
                return candidate
    return None


def _of(parent: str | None) -> str:
    return "" if parent is None else f" (a source of {parent})"


def _checked_stat(path: str, role: str, parent: str | None = None) -> os.stat_result:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise TonnageInputError(f"{role}: file not found: {path}{_of(parent)}") from None
    except OSError as exc:
        raise TonnageInputError(f"{role}: cannot read {path}{_of(parent)} ({exc.strerror or exc})") from exc
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise TonnageInputError(
            f"{role}: {path}{_of(parent)} is not a regular file (a pipe, device or socket cannot be read as a raster)"
        )
    return info


def _check_folders(files: list[str], name: str, role: str) -> None:
    """Refuse a raster whose files' folders hold a pipe, device or socket: GDAL lists a raster's folder and opens
    the sidecars it finds there, by the raster's name (a.IMD, a_RPC.TXT, an ENVI a.hdr) or by a fixed one
    (METADATA.DIM, summary.txt), and would wait on one forever. Each folder is listed once (a VRT of a
    thousand tiles in one folder)."""
    for folder in dict.fromkeys(os.path.dirname(os.path.abspath(path)) for path in files):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # GDAL cannot list it either
        for entry in entries:
            try:
                if entry.is_file() or entry.is_dir() or not os.path.exists(entry.path):  # a broken link: not read
                    continue
            except OSError:
                continue
            raise TonnageInputError(
                f"{role}: {entry.path}, in the folder of {name}, is not a regular file (a pipe, device or socket): "
                "GDAL may read it as one of the raster's sidecars and wait on it forever; move it out of the folder"
            )


def _is_vrt(path: str) -> bool:
    """GDAL's own test: the text "<VRTDataset" near the start, whatever the file's name."""
    try:
        with open(path, "rb") as handle:
            return b"<VRTDataset" in handle.read(1024)
    except OSError:
        return False  # GDAL's open will say why


def _vrt_sources(path: str) -> list[str]:
    """The names a VRT reads its data from (simple, complex and warped sources, masks), relative ones made
    absolute as GDAL resolves them."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError):
        return []  # GDAL's open will say why
    names = []
    for element in root.iter():
        if element.tag in ("SourceFilename", "SourceDataset") and element.text and element.text.strip():
            name = element.text.strip()
            if element.get("relativeToVRT") == "1":
                name = os.path.join(os.path.dirname(path), name)
            names.append(name)
    return names


def sidecars(path: str) -> list[str]:
    """The files GDAL may read beside ``path``: ``SIDECARS`` appended, and those that replace its extension:
    world files (``a.tfw``, ``a.tifw``, ``a.wld``), ``a.aux`` and ``a.prj``, in either case."""
    stem, extension = os.path.splitext(path)
    names = [path + suffix for suffix in SIDECARS]
    if len(extension) > 1:
        ext = extension[1:]
        for replaced in (ext[0] + ext[-1] + "w", ext + "w", "wld", "aux", "prj"):
            names.extend(f"{stem}.{variant}" for variant in dict.fromkeys((replaced.lower(), replaced.upper())))
    return names


def watched_names(files: list[str]) -> list[str]:
    """Each file followed by its sidecars: the names a signature describes, in its order."""
    return [name for path in files for name in (path, *sidecars(path))]


def files_signature(files: list[str], role: str) -> tuple:
    """What identifies the files' contents, and their sidecars' (absent ones as None): each checked to be a
    regular file or a directory, since a sidecar that is a FIFO would block GDAL as surely as the raster."""
    originals = set(files)
    return tuple(
        None if name not in originals and not os.path.lexists(name) else _identity(_checked_stat(name, role))
        for name in watched_names(files)
    )


def present_files(files: list[str], signature: tuple) -> list[tuple[str, tuple]]:
    """The files and sidecars present in ``signature``, each with its entry there."""
    return [(name, entry) for name, entry in zip(watched_names(files), signature) if entry is not None]


def present_unchanged(present: list[tuple[str, tuple]], role: str) -> bool:
    """Whether the files ``present_files`` found are unchanged, without looking for absent ones: enough while
    their folders are unchanged (``folders_state``), since a file appearing changes its folder."""
    return all(_identity(_checked_stat(name, role)) == entry for name, entry in present)


def folders_state(files: list[str]) -> tuple:
    """What identifies the folders holding the files and their sidecars: a file made, removed or renamed in
    one changes it (None for a folder that cannot be read)."""

    def state(folder: str) -> tuple[int, int, int] | None:
        try:
            info = os.stat(folder)
        except OSError:
            return None
        return (info.st_ino, info.st_mtime_ns, info.st_ctime_ns)

    return tuple(state(folder) for folder in dict.fromkeys(os.path.dirname(os.path.abspath(path)) for path in files))


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
