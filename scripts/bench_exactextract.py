"""Time exactextract on the benchmark rasters; run by scripts/bench.py inside build/bench/exactextract-venv.

exactextract brings its own GEOS, so it must never share a process with QGIS. Its PyPI wheel does not bring GDAL
(it reads rasters through osgeo, rasterio or xarray, none of which the isolated venv has, and the project never
pip-installs them), so this script hands it a RasterSource that decodes the benchmark GeoTIFF's DEFLATE tiles
with libdeflate, the library the system GDAL uses, and keeps decoded tiles for the whole run as GDAL's block
cache would. Only the standard library, numpy and exactextract are imported.

Usage: python bench_exactextract.py JOB.json  ->  JSON on stdout: import time, per-run times, per-feature sums.
JOB.json: {"raster": path, "polygons": GeoJSON FeatureCollection path, "ops": [...], "runs": n}
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import struct
import sys
import time
import warnings
import zlib

_T0 = time.perf_counter()
import numpy as np  # noqa: E402
from exactextract import exact_extract  # noqa: E402
from exactextract.raster import RasterSource  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _T0

_TYPES = {1: "B", 2: "s", 3: "H", 4: "I", 5: "II", 11: "f", 12: "d", 16: "Q"}
_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 11: 4, 12: 8, 16: 8}
_DEFLATE = (8, 32946)


class _Inflater:
    """zlib-wrapped DEFLATE decoding through libdeflate when present (as GDAL does), else zlib."""

    def __init__(self):
        name = ctypes.util.find_library("deflate") or "libdeflate.so.0"
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            self.lib = None
            self.name = f"zlib {zlib.ZLIB_RUNTIME_VERSION}"
            return
        lib.libdeflate_alloc_decompressor.restype = ctypes.c_void_p
        lib.libdeflate_zlib_decompress.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_void_p,
        ]
        lib.libdeflate_zlib_decompress.restype = ctypes.c_int
        self.lib, self.handle, self.name = lib, lib.libdeflate_alloc_decompressor(), "libdeflate"

    def inflate(self, data: bytes, out: np.ndarray) -> None:
        if self.lib is None:
            out.view(np.uint8).reshape(-1)[:] = np.frombuffer(zlib.decompress(data), dtype=np.uint8)
            return
        status = self.lib.libdeflate_zlib_decompress(self.handle, data, len(data), out.ctypes.data, out.nbytes, None)
        if status != 0:
            raise ValueError(f"libdeflate could not decode a tile (status {status})")


class TiledGeoTiff(RasterSource):
    """Band 1 of a tiled, DEFLATE-compressed, north-up float32 GeoTIFF without predictor (what bench.py
    writes); anything else is refused rather than misread."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        tags = self._read_ifd()
        self.width, self.height = int(tags[256][0]), int(tags[257][0])
        self.tile_w, self.tile_h = int(tags[322][0]), int(tags[323][0])
        compression, predictor = tags[259][0], tags.get(317, (1,))[0]
        bits, sample_format = tags[258][0], tags.get(339, (1,))[0]
        if (
            compression not in _DEFLATE
            or predictor != 1
            or bits != 32
            or sample_format != 3
            or tags.get(277, (1,))[0] != 1
        ):
            raise ValueError(f"{path}: only single-band float32 DEFLATE tiles without predictor are supported")
        self.offsets, self.counts = tags[324], tags[325]
        sx, sy = tags[33550][:2]
        _, _, _, x0, y0, _ = tags[33922][:6]
        self.ext = (x0, y0 - sy * self.height, x0 + sx * self.width, y0)
        self.pixel = (sx, sy)
        nodata = tags.get(42113)
        self.nodata = float(nodata.strip("\0 ")) if nodata else None
        self.tiles_across = -(-self.width // self.tile_w)
        self.cache: dict[int, np.ndarray] = {}
        self.inflater = _Inflater()

    def _read_ifd(self) -> dict:
        header = os.pread(self.fd, 16, 0)
        order = {b"II": "<", b"MM": ">"}[header[:2]]
        magic = struct.unpack(order + "H", header[2:4])[0]
        if magic == 42:
            (offset,) = struct.unpack(order + "I", header[4:8])
            count_fmt, entry_fmt, entry_size, inline = "H", "HHI4s", 12, 4
        elif magic == 43:
            (offset,) = struct.unpack(order + "Q", header[8:16])
            count_fmt, entry_fmt, entry_size, inline = "Q", "HHQ8s", 20, 8
        else:
            raise ValueError(f"{self.path}: not a TIFF file")
        count_size = struct.calcsize(count_fmt)
        (entries,) = struct.unpack(order + count_fmt, os.pread(self.fd, count_size, offset))
        raw = os.pread(self.fd, entries * entry_size, offset + count_size)
        tags = {}
        for i in range(entries):
            tag, kind, count, value = struct.unpack(order + entry_fmt, raw[i * entry_size : (i + 1) * entry_size])
            if kind not in _TYPES:
                continue
            size = _SIZES[kind] * count
            if size > inline:
                (pointer,) = struct.unpack(order + ("I" if inline == 4 else "Q"), value)
                value = os.pread(self.fd, size, pointer)
            if kind == 2:
                tags[tag] = value[:count].decode("ascii", "replace")
            else:
                fmt = _TYPES[kind] * count if kind != 5 else "I" * (2 * count)
                tags[tag] = struct.unpack(order + fmt, value[: struct.calcsize(order + fmt)])
        return tags

    def res(self):
        return self.pixel

    def extent(self):
        return self.ext

    def srs_wkt(self):
        return None

    def nodata_value(self):
        return self.nodata

    def _tile(self, index: int) -> np.ndarray:
        tile = self.cache.get(index)
        if tile is None:
            tile = np.empty((self.tile_h, self.tile_w), dtype="<f4")
            self.inflater.inflate(os.pread(self.fd, self.counts[index], self.offsets[index]), tile)
            self.cache[index] = tile
        return tile

    def close(self) -> None:
        os.close(self.fd)

    def read_window(self, x0, y0, nx, ny):
        out = np.empty((ny, nx), dtype=np.float32)
        for ty in range(y0 // self.tile_h, (y0 + ny - 1) // self.tile_h + 1):
            for tx in range(x0 // self.tile_w, (x0 + nx - 1) // self.tile_w + 1):
                tile = self._tile(ty * self.tiles_across + tx)
                r0, c0 = ty * self.tile_h, tx * self.tile_w
                ra, rb = max(r0, y0), min(r0 + self.tile_h, y0 + ny, self.height)
                ca, cb = max(c0, x0), min(c0 + self.tile_w, x0 + nx, self.width)
                out[ra - y0 : rb - y0, ca - x0 : cb - x0] = tile[ra - r0 : rb - r0, ca - c0 : cb - c0]
        return out


def main(job_path: str) -> None:
    with open(job_path) as f:
        job = json.load(f)
    with open(job["polygons"]) as f:
        features = json.load(f)["features"]
    times, rows, inflater = [], [], ""
    for _ in range(job["runs"]):
        raster = TiledGeoTiff(job["raster"])  # a fresh tile cache per run, as a newly opened GDAL dataset
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # neither source states a CRS
            rows = exact_extract(raster, features, job["ops"], include_cols=["fid"])
        times.append(time.perf_counter() - start)
        inflater = raster.inflater.name
        raster.close()
    results = [{key: float(value) for key, value in row["properties"].items()} for row in rows]
    json.dump(
        {
            "import_seconds": IMPORT_SECONDS,
            "times": times,
            "results": results,
            "inflater": inflater,
            "version": __import__("exactextract").__version__,
            "numpy": np.__version__,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
