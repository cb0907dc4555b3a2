"""The engine's tuning constants, as one object a caller (or a test) can pass in instead of patching globals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineLimits:
    """How the engine bounds its work and memory; the defaults suit a 2-core desktop."""

    #: Cells per tile read and processed at once: large enough for numpy to run at full speed, small enough that
    #: a tile's temporary arrays (1-2 MB each) are reused from the C heap: with 2 million cells each was a fresh
    #: 16 MB mapping, page-faulted in and given back, and a polygon over 40 % of an 8,000 x 8,000 raster took
    #: 2.1-2.4 s on the calling thread instead of 0.6-0.8 s. Peak memory stays far below 100 MB.
    tile_cells: int = 1 << 18
    #: Bytes a pass may read from one dataset before reopening it. GDAL keeps every decompressed block in its
    #: process-wide cache (5 % of RAM by default) until the dataset is closed, so one pass over a huge window
    #: would otherwise leave gigabytes behind; reopening costs about a millisecond. The old dataset closes after
    #: its successor opens: up to twice this is cached.
    cache_budget: int = 64 << 20
    #: Tiles, and cells, the reader thread may have read ahead of the tile being summed: many small tiles
    #: (a batch of small polygons, whose coverage is then worked out together) keep it busy, a couple of large
    #: ones bound the memory they hold; and jobs (polygons outside the raster have no tile) waiting in line.
    read_ahead_tiles: int = 32
    read_ahead_cells: int = 2 << 21
    read_ahead_jobs: int = 32
    #: Datasets each thread keeps open between estimates made outside ``reusing_open_rasters``.
    kept_per_thread: int = 4
    #: File systems keep modification times to a granularity of up to 2 s (FAT; ext4 and NTFS much finer): a
    #: file modified this recently before it was opened may change again without its signature showing it, so
    #: it is reopened on its next use.
    timestamp_granularity_ns: int = 2_000_000_000
    #: Cells ``area_cells`` may hand back (five float64 arrays: 40 bytes a cell, 400 MB at this bound); a larger area
    #: is refused with a message, since exploration targets stream their sums and need no such list.
    area_cells_max: int = 10_000_000


DEFAULT_LIMITS = EngineLimits()
