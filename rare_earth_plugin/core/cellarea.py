"""Cell and polygon areas in square metres: planar for projected rasters, ellipsoidal for geographic ones.

A geographic cell spans a fixed longitude and latitude interval, and its true area on the ellipsoid has a
closed form through the authalic latitude; square degrees or a spherical earth would be wrong by up to 0.7 %.
"""

from __future__ import annotations

import math

import numpy as np
import pyproj
from rasterio.transform import Affine
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from . import affine_ops
from .geometry import densify, map_polygon_coords


def linear_unit_factor(crs: pyproj.CRS) -> float:
    """Metres per unit of a projected CRS's first axis (1.0 when the CRS does not say)."""
    axes = crs.axis_info
    factor = axes[0].unit_conversion_factor if axes else None
    return float(factor) if factor else 1.0


def angular_unit_factor(crs: pyproj.CRS) -> float:
    """Radians per unit of a geographic CRS's axes (degrees: pi/180)."""
    axes = crs.axis_info
    factor = axes[0].unit_conversion_factor if axes else None
    return float(factor) if factor else math.pi / 180.0


def projected_cell_area(transform: Affine, crs: pyproj.CRS | None) -> float:
    """Area of one cell in m2 from the geotransform determinant (any rotation or skew)."""
    factor = linear_unit_factor(crs) if crs is not None else 1.0
    return abs(transform.a * transform.e - transform.b * transform.d) * factor * factor


class EllipsoidalCellArea:
    """True areas of cells of a geographic raster on the ellipsoid of its CRS."""

    def __init__(self, transform: Affine, crs: pyproj.CRS):
        ellipsoid = crs.ellipsoid
        self.a = float(ellipsoid.semi_major_metre)
        self.b = float(ellipsoid.semi_minor_metre)
        self.e2 = 1.0 - (self.b / self.a) ** 2
        self.transform = transform
        self.to_radians = angular_unit_factor(crs)

    @property
    def north_up(self) -> bool:
        return self.transform.b == 0.0 and self.transform.d == 0.0

    def row_areas(self, row0: int, row1: int) -> np.ndarray:
        """Area of one cell in each of rows row0..row1-1 (north-up rasters: all cells of a row are equal)."""
        t = self.transform
        rows = np.arange(row0, row1 + 1, dtype=np.float64)
        lat = (t.f + rows * t.e) * self.to_radians
        dlon = abs(t.a) * self.to_radians
        return dlon * np.abs(self._zone_area(lat[:-1], lat[1:]))

    def equal_area_rows(self, rows: np.ndarray) -> np.ndarray:
        """Fractional row positions re-spaced so that, inside every row, distance is proportional to area.

        A row of a geographic raster holds more area near its equatorward edge; measured in these positions,
        the fraction of a cell a polygon covers is the fraction of the cell's true (ellipsoidal) area, and the
        integer positions (the parallels between rows) stay where they are (north-up rasters only). Beyond a
        pole there is no area: latitudes are clamped there so positions stay in their row and in order.
        """
        rows = np.asarray(rows, dtype=np.float64)
        top = np.floor(rows)
        lat_top = self._latitude(top)
        whole = self._zone_area(lat_top, self._latitude(top + 1.0))
        part = self._zone_area(lat_top, self._latitude(rows))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(whole != 0.0, part / whole, rows - top)  # a row wholly beyond a pole: as it is
        return top + np.clip(share, 0.0, 1.0)

    def to_equal_area_cells(self, x: np.ndarray, y: np.ndarray, height: int
                            ) -> tuple[np.ndarray, np.ndarray]:
        """(col, equal-area row) of a ring's vertices, with a vertex added wherever an edge crosses a parallel
        between rows, so that each edge piece lies in one row and is re-spaced with it.

        Only the raster's ``height`` rows are cut and re-spaced: outside them no cell is counted, positions
        stay linear (an edge far outside would otherwise be cut into millions of pieces).
        """
        col, row = affine_ops.apply(~self.transform, np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        col, row = _split_at_integer_rows(np.asarray(col), np.asarray(row), height)
        inside = (row >= 0.0) & (row <= height)
        row[inside] = self.equal_area_rows(row[inside])
        return col, row

    def cell_areas(self, row0: int, row1: int, col0: int, col1: int) -> np.ndarray:
        """Cell areas of a window; rotated grids use the local area scale at each cell centre."""
        if self.north_up:
            return np.broadcast_to(self.row_areas(row0, row1)[:, None], (row1 - row0, col1 - col0))
        t = self.transform
        cols, rows = np.meshgrid(np.arange(col0, col1) + 0.5, np.arange(row0, row1) + 0.5)
        lat = (t.d * cols + t.e * rows + t.f) * self.to_radians
        sin_lat = np.sin(lat)
        # dA = a^2 (1 - e2) cos(lat) / (1 - e2 sin^2 lat)^2 dlon dlat
        scale = self.a * self.a * (1.0 - self.e2) * np.cos(lat) / (1.0 - self.e2 * sin_lat * sin_lat) ** 2
        return abs(t.a * t.e - t.b * t.d) * self.to_radians ** 2 * scale

    def _latitude(self, rows: np.ndarray) -> np.ndarray:
        """Latitude in radians of row positions, clamped to the poles."""
        t = self.transform
        return np.clip((t.f + rows * t.e) * self.to_radians, -0.5 * math.pi, 0.5 * math.pi)

    def _zone_area(self, lat1: np.ndarray, lat2: np.ndarray) -> np.ndarray:
        """Area per radian of longitude between two parallels, b^2/2 [f(sin lat2) - f(sin lat1)].

        f(s) = s / (1 - e2 s^2) + atanh(e s) / e; both differences are rewritten so that neighbouring
        parallels (tiny cells) do not lose digits to cancellation.
        """
        s1, s2 = np.sin(lat1), np.sin(lat2)
        ds = 2.0 * np.cos(0.5 * (lat1 + lat2)) * np.sin(0.5 * (lat2 - lat1))
        e2 = self.e2
        first = ds * (1.0 + e2 * s1 * s2) / ((1.0 - e2 * s1 * s1) * (1.0 - e2 * s2 * s2))
        if e2 > 0.0:
            e = math.sqrt(e2)
            second = np.arctanh(e * ds / (1.0 - e2 * s1 * s2)) / e
        else:
            second = ds
        return 0.5 * self.b * self.b * (first + second)


def _split_at_integer_rows(col: np.ndarray, row: np.ndarray, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The path through the vertices, with a vertex inserted at every crossing of an integer row from 0 to
    ``height``."""
    if row.size < 2:
        return col, row
    r0, r1, c0, c1 = row[:-1], row[1:], col[:-1], col[1:]
    lo = np.maximum(np.floor(np.minimum(r0, r1)) + 1.0, 0.0)
    hi = np.minimum(np.ceil(np.maximum(r0, r1)) - 1.0, float(height))
    count = np.maximum(hi - lo + 1.0, 0.0)  # crossings strictly inside each edge
    count = np.where(np.isfinite(count), count, 0.0).astype(np.intp)  # a NaN vertex: its ring is dropped
    points = count + 1  # each edge's start vertex, then its crossings in order along it
    owner = np.repeat(np.arange(r0.size), points)
    step = np.arange(owner.size) - np.repeat(np.cumsum(points) - points, points)
    rising = r1[owner] >= r0[owner]
    crossing = np.where(rising, lo[owner] + step - 1.0, hi[owner] - step + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (crossing - r0[owner]) / (r1 - r0)[owner]
    start = step == 0
    new_row = np.where(start, r0[owner], crossing)
    new_col = np.where(start, c0[owner], c0[owner] + t * (c1 - c0)[owner])
    return np.append(new_col, col[-1]), np.append(new_row, row[-1])


def polygon_area_m2(geometry: BaseGeometry, crs: pyproj.CRS | None) -> float:
    """Area of a polygon given in the raster CRS, on the same basis as the cell areas."""
    if crs is None or not crs.is_geographic:
        factor = linear_unit_factor(crs) if crs is not None else 1.0
        return float(geometry.area) * factor * factor
    # Geod joins vertices by geodesics, the raster grid by straight lines in lon/lat: densify so they agree.
    to_degrees = math.degrees(angular_unit_factor(crs))
    degrees = map_polygon_coords(densify(geometry), lambda xy: xy * to_degrees)
    geod = crs.get_geod()
    # Geod adds the signed areas of rings and parts: orient them all (shell CCW, holes CW) first.
    return abs(sum(float(geod.geometry_area_perimeter(orient(part, 1.0))[0])
                   for part in getattr(degrees, "geoms", [degrees])))
