"""pyproj in QgsTask threads: objects made per thread, and each pooled thread's PROJ context kept alive.

pyproj (3.7+) keeps one PROJ context per OS thread (thread-specific storage) but frees it when the Python thread
state that created it ends (its owner lives in a ``threading.local``). A plain Python thread ends with its OS
thread, so that is safe. QgsTask runs in pooled Qt threads that outlive their Python thread states: the next
task on the same thread found the freed context and QGIS 3.40 crashed in ``proj_create``
(``projCppContext::getDatabaseContext``). Keeping a reference to the owner for each OS thread keeps its context
valid for every later task on that thread: one context per pool thread, not one per task. pyproj objects are
never shared between threads either (``per_thread``), as pyproj requires.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

try:  # pyproj >= 3.7; older releases give each object its own context
    from pyproj._context import get_context_manager  # type: ignore[attr-defined, unused-ignore]
except ImportError:  # pragma: no cover - depends on the pyproj release
    get_context_manager = None

_PER_THREAD = threading.local()
_PER_THREAD_LIMIT = 64
_CONTEXT_OWNERS: dict[int, Any] = {}  # OS thread id -> pyproj's owner of that thread's PROJ context
_OWNERS_LOCK = threading.Lock()


def per_thread(key: Hashable, make: Callable[[], Any]) -> Any:
    """``make()`` (which builds pyproj objects) cached for the calling thread only (at most 64 entries)."""
    cache: dict | None = getattr(_PER_THREAD, "cache", None)
    if cache is None or len(cache) >= _PER_THREAD_LIMIT:
        cache = _PER_THREAD.cache = {}
    if key not in cache:
        cache[key] = make()
        keep_proj_context()
    return cache[key]


def keep_proj_context() -> None:
    """Keep this OS thread's pyproj PROJ context alive after its Python thread state ends (see above)."""
    owner = get_context_manager() if get_context_manager is not None else None
    if owner is None:  # not made by this thread state, or an older pyproj
        return
    with _OWNERS_LOCK:
        _CONTEXT_OWNERS[threading.get_native_id()] = owner
