"""All-or-nothing file writing: a temporary file in the target's folder, renamed over the target at the end.

``os.replace`` within one folder is atomic on POSIX and Windows, so readers see either the earlier report or
the new one, never half of one, and a failed export leaves the earlier report as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import ReportError


def check_writable_folder(folder: Path, parameter: str = "output file") -> None:
    """Raise ``ReportError`` unless a file can be created in ``folder`` (tried: permissions can mislead)."""
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".rare_earth_probe_")
    except OSError as error:
        raise ReportError(f"{parameter}: cannot write in the folder '{folder}' ({error.strerror})") from None
    os.close(handle)
    os.unlink(probe)


def _create_beside(target: Path) -> Path:
    """A new empty file next to ``target``, created like a plain ``open()`` would: the user's umask applies
    (``mkstemp``'s 0600 would hide the report from colleagues on a shared folder)."""
    for _ in range(100):
        candidate = target.parent / f".{target.stem}.{secrets.token_hex(6)}{target.suffix}"
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target.parent))


@contextlib.contextmanager
def atomic_output(target: Path, parameter: str = "output file") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``, on error it is removed.

    The temporary name keeps ``target``'s suffix, because writers such as GDAL choose a format by suffix.
    """
    target = Path(target)
    try:
        temporary_path = _create_beside(target)
    except OSError as error:
        raise ReportError(f"{parameter}: cannot write in the folder '{target.parent}' "
                          f"({error.strerror})") from None
    try:
        yield temporary_path
        if not temporary_path.is_file() or temporary_path.stat().st_size == 0:
            raise ReportError(f"{parameter}: nothing was written to '{target}'")
        try:
            if target.exists():  # a replaced report keeps the permissions it was given
                os.chmod(temporary_path, target.stat().st_mode & 0o777)
            os.replace(temporary_path, target)
        except OSError as error:
            raise ReportError(f"{parameter}: cannot replace '{target}' ({error.strerror})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary_path.unlink()
