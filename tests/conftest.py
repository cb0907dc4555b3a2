"""Real faults for both suites: a nearly full disk, a read-only drive, an immutable file, a SQLite file locked by
another process. Each is the kernel's or SQLite's own refusal, not a mock; fixtures undo them afterwards.

Mounting needs root (CI runs as root); without it the tests that need a fault skip and say why.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _run(*command: str) -> subprocess.CompletedProcess:
    """Run a tool; a missing tool (no chattr, no mount) is a failed run, never an exception in a teardown."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        return subprocess.CompletedProcess(command, 127, "", str(error))


def _unmount(folder: Path) -> None:
    """Unmount whatever happens: clear immutable flags first, fall back to a lazy unmount."""
    try:
        _run("chattr", "-R", "-i", str(folder))
    finally:
        if _run("umount", str(folder)).returncode:
            _run("umount", "-l", str(folder))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """small_disk(size_kb=300, name="disk") -> a fresh tmpfs of that size, unmounted afterwards."""
    mounts: list[Path] = []

    def make(size_kb: int = 300, name: str = "disk") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        done = _run("mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0777", "tmpfs", str(folder))
        if done.returncode:
            pytest.skip(f"cannot mount a small tmpfs to fill a disk (needs root): {done.stderr.strip()}")
        mounts.append(folder)
        return folder

    try:
        yield make
    finally:
        for folder in reversed(mounts):
            _unmount(folder)


@pytest.fixture
def read_only(small_disk) -> Callable[[Path], None]:
    """read_only(folder): remount a ``small_disk`` folder read-only (root cannot write there either)."""

    def make(folder: Path) -> None:
        done = _run("mount", "-o", "remount,ro", str(folder))
        if done.returncode:
            pytest.skip(f"cannot remount read-only: {done.stderr.strip()}")

    return make


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """immutable(path): ``chattr +i`` (no write, rename or replace, even for root), undone afterwards."""
    paths: list[Path] = []

    def make(path: Path) -> None:
        done = _run("chattr", "+i", str(path))
        if done.returncode:
            pytest.skip(f"chattr +i is not available here: {done.stderr.strip()}")
        paths.append(path)

    try:
        yield make
    finally:
        for path in paths:
            _run("chattr", "-i", str(path))


_LOCKER = textwrap.dedent("""
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.read()
""")


@pytest.fixture
def sqlite_lock() -> Callable[[Path], contextlib.AbstractContextManager]:
    """``with sqlite_lock(path):`` another process holds ``BEGIN EXCLUSIVE`` on the SQLite file."""

    @contextlib.contextmanager
    def hold(path: Path) -> Iterator[subprocess.Popen]:
        locker = subprocess.Popen(
            [sys.executable, "-c", _LOCKER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            line = locker.stdout.readline()
            assert line.strip() == "locked", f"the locking process did not lock {path}"
            yield locker
        finally:
            locker.stdin.close()
            locker.wait(10)

    return hold
