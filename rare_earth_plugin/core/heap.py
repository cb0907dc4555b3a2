"""Freed tile arrays kept in the C heap for the next tile instead of handed back to the system and faulted in again.

Each tile of a pass makes and frees arrays of 1-2 MB. glibc hands a freed block of more than its thresholds back to
the system (``M_MMAP_THRESHOLD``, ``M_TRIM_THRESHOLD``: 128 kB at start), and the next tile's array is faulted in
anew, page by page. A page fault costs 0.2 us on bare metal but about 4.6 us in a virtual machine such as the one
``make bench`` runs on, where an estimate over 1.4 million cells took 6,600 faults (27 MB) and a third of its
time. glibc raises both thresholds itself once the process has freed a large block, up to 32 MB and 64 MB
(``DEFAULT_MMAP_THRESHOLD_MAX`` and twice it); ``keep_freed_memory`` moves them there at the first pass, so the
engine's speed does not depend on what the process freed before. Nothing else changes: a process that freed one
32 MB array is already in this state, and it holds at most 64 MB freed but unreturned per heap. Settings the user
gave glibc (``GLIBC_TUNABLES``, ``MALLOC_*_``) win; other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading

#: mallopt's parameters (malloc.h) and the values glibc's own heuristic stops at on 64-bit systems.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")

_LOCK = threading.Lock()
_done = False


def keep_freed_memory() -> bool:
    """Set glibc's thresholds as above, once per process; whether they were set (False: not glibc, the user's own
    settings, or a failure, which leaves everything as it was)."""
    global _done
    with _LOCK:
        if _done:
            return False
        _done = True
        if not _glibc() or _user_tuned():
            return False
        try:
            libc = ctypes.CDLL(None)
            return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
        except (OSError, AttributeError):
            return False


def _glibc() -> bool:
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _user_tuned() -> bool:
    return any(name in os.environ for name in _USER_SETTINGS) or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")
