"""Cell and polygon areas in square metres: planar for projected rasters, ellipsoidal for geographic ones.

A geographic cell spans a fixed longitude and latitude interval, and its true area on the ellipsoid has a
closed form through the authalic latitude; square degrees or a spherical earth would be wrong by up to 0.7 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyproj
from rasterio.transform import Affine
from shapely.geometry.base import BaseGeometry

from . import affine_ops
from .crs_units import angular_unit_factor, linear_unit_factor
from .geometry import _transformer, densify_coords, polygon_rings
from .proj_threads import per_thread


def projected_cell_area(transform: Affine, crs: pyproj.CRS | None) -> float:
    """Area of one cell in m2 from the geotransform determinant (any rotation or skew)."""
    factor = linear_unit_factor(crs) if crs is not None else 1.0
    return abs(transform.a * transform.e - transform.b * transform.d) * factor * factor


def _ellipsoid_axes(crs: pyproj.CRS) -> tuple[float, float]:
    """Semi-major and semi-minor axis (m) of the CRS's ellipsoid."""
    ellipsoid = crs.ellipsoid
    if ellipsoid is None:
        raise ValueError(f"the raster's CRS has no ellipsoid to measure areas on: {crs.name}")
    return float(ellipsoid.semi_major_metre), float(ellipsoid.semi_minor_metre)


def _geodetic_crs(crs: pyproj.CRS) -> pyproj.CRS:
    geodetic = crs.geodetic_crs
    if geodetic is None:
        raise ValueError(f"the raster's CRS has no geodetic datum to measure areas on: {crs.name}")
    return geodetic


def _geod(crs: pyproj.CRS) -> pyproj.Geod:
    geod = crs.get_geod()
    if geod is None:
        raise ValueError(f"the raster's CRS has no ellipsoid to measure areas on: {crs.name}")
    return geod


@dataclass(frozen=True)
class _Ground:
    """What ground areas in a projected CRS need from it. pyproj rebuilds ``geodetic_crs``, the WKT and the
    ellipsoid on every access (a fifth of a small polygon's estimate), so this is made once per CRS object and
    thread (``_ground``)."""

    crs: pyproj.CRS  # held, so that its id (the cache key) is not reused while the entry lives
    to_geo: pyproj.Transformer  # map coordinates to longitude, latitude in the geodetic CRS's angle unit
    to_radians: float  # that unit in radians
    geod: pyproj.Geod
    a: float  # semi-major and semi-minor axis, m
    b: float
    unit: float  # metres per map unit

    def degrees(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude in degrees, ``Geod``'s unit, of map coordinates (a geodetic CRS may count in
        grads)."""
        lon, lat = self.to_geo.transform(x, y)
        scale = math.degrees(self.to_radians)
        return (lon, lat) if scale == 1.0 else (np.asarray(lon) * scale, np.asarray(lat) * scale)


def _ground(crs: pyproj.CRS) -> _Ground:
    def make() -> _Ground:
        geodetic = _geodetic_crs(crs)
        a, b = _ellipsoid_axes(geodetic)
        to_geo = _transformer(crs.to_wkt(), geodetic.to_wkt())
        return _Ground(crs, to_geo, angular_unit_factor(geodetic), _geod(geodetic), a, b, linear_unit_factor(crs))

    return per_thread(("ground", id(crs)), make)


class EllipsoidalCellArea:
    """True areas of cells of a geographic raster on the ellipsoid of its CRS."""

    def __init__(self, transform: Affine, crs: pyproj.CRS):
        self.a, self.b = _ellipsoid_axes(crs)
        self.e2 = 1.0 - (self.b / self.a) ** 2
        self.transform = transform
        self.to_radians = angular_unit_factor(crs)

    @property
    def north_up(self) -> bool:
        return self.transform.b == 0.0 and self.transform.d == 0.0

    def row_areas(self, row0: int, row1: int) -> np.ndarray:
        """Area of one cell in each of rows row0..row1-1 (north-up rasters: all cells of a row are equal); a row
        reaching past a pole ends there (a global grid registered at cell centres starts half a cell beyond)."""
        lat = self._latitude(np.arange(row0, row1 + 1, dtype=np.float64))
        dlon = abs(self.transform.a) * self.to_radians
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

    def centroid_offset(self, rows: np.ndarray, heights: np.ndarray | float) -> np.ndarray:
        """How far (in rows, along the rows) the area centroid of spans of ``heights`` rows centred at ``rows``
        lies from their middles (within half a span).

        A row holds more area towards the equator, so an edge straight in longitude and latitude, re-spaced with
        ``equal_area_rows``, bends inside the row: the area right of it in its cell is its height times the
        distance to the cell's right edge at its area centroid, not at its middle. With the area per radian of
        latitude g and u = g'/g, v = g''/g, w = g'''/g at the middle, the offset is
        h^2 (u / 12 + w h^2 / 480) / (1 + v h^2 / 24) for a span of h radians, which leaves h^6 of it.
        """
        lat = self._latitude(rows)
        step = self.transform.e * self.to_radians  # radians of latitude per row
        sin_lat, cos_lat = np.sin(lat), np.cos(lat)
        e2 = self.e2
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # g ~ cos(lat) / q^2 with q = 1 - e2 sin^2 lat: ln g = ln cos - 2 ln q
            tan_lat, sec2 = sin_lat / cos_lat, 1.0 / (cos_lat * cos_lat)
            q = 1.0 - e2 * sin_lat * sin_lat
            p = 4.0 * e2 * sin_lat * cos_lat / q  # (-2 ln q)'
            dp = 4.0 * e2 * (cos_lat * cos_lat - sin_lat * sin_lat) / q + p * p / 2.0  # (-2 ln q)''
            ddp = -16.0 * e2 * sin_lat * cos_lat / q + 1.5 * p * dp - 0.5 * p**3  # (-2 ln q)'''
            u = p - tan_lat  # (ln g)' = g'/g
            du = dp - sec2  # (ln g)''
            ddu = ddp - 2.0 * tan_lat * sec2  # (ln g)'''
            v = u * u + du  # g''/g
            w = u**3 + 3.0 * u * du + ddu  # g'''/g
            h2 = np.square(np.asarray(heights, dtype=np.float64) * step)
            offset = (u / 12.0 + w * h2 / 480.0) / (1.0 + v * h2 / 24.0) * h2 / step
        limit = 0.5 * np.abs(heights)
        return np.where(np.isfinite(offset), np.clip(offset, -limit, limit), 0.0)

    def slopes(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At cells of a rotated or sheared grid (``rows``, ``cols`` of the raster), the relative change of the
        ground per square degree from the cell's centre, per cell down the rows and along the columns: with the
        first moments of a partly covered cell's part (``CellCoverage.moments``), the ground under the part,
        not at the cell's centre (a row holds more ground towards the equator: strips over half of each of a
        row of 0.05 degree cells at 60 N were 3.4e-4 off)."""
        t = self.transform
        lat = self._latitude_at(rows + 0.5, cols + 0.5)
        sin_lat, cos_lat = np.sin(lat), np.cos(lat)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # the area per radian^2 g ~ cos(lat) / (1 - e2 sin^2 lat)^2: (ln g)' = 4 e2 sin cos / q - tan
            change = 4.0 * self.e2 * sin_lat * cos_lat / (1.0 - self.e2 * sin_lat * sin_lat) - sin_lat / cos_lat
        change = np.where(np.isfinite(change), change, 0.0) * self.to_radians  # per degree of latitude
        return change * t.e, change * t.d

    def _latitude_at(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Latitude in radians at positions of a rotated or sheared grid, clamped to the poles."""
        t = self.transform
        return np.clip((t.d * cols + t.e * rows + t.f) * self.to_radians, -0.5 * math.pi, 0.5 * math.pi)

    def cell_areas(self, row0: int, row1: int, col0: int, col1: int) -> np.ndarray:
        """Cell areas of a window; rotated grids use the local area scale at each cell centre."""
        if self.north_up:
            return np.broadcast_to(self.row_areas(row0, row1)[:, None], (row1 - row0, col1 - col0))
        t = self.transform
        cols, rows = np.meshgrid(np.arange(col0, col1) + 0.5, np.arange(row0, row1) + 0.5)
        lat = self._latitude_at(rows, cols)
        sin_lat = np.sin(lat)
        # dA = a^2 (1 - e2) cos(lat) / (1 - e2 sin^2 lat)^2 dlon dlat
        scale = self.a * self.a * (1.0 - self.e2) * np.cos(lat) / (1.0 - self.e2 * sin_lat * sin_lat) ** 2
        return abs(t.a * t.e - t.b * t.d) * self.to_radians**2 * scale

    def _latitude(self, rows: np.ndarray) -> np.ndarray:
        """Latitude in radians of row positions, clamped to the poles."""
        t = self.transform
        return np.clip((t.f + rows * t.e) * self.to_radians, -0.5 * math.pi, 0.5 * math.pi)

    def _zone_area(self, lat1: np.ndarray, lat2: np.ndarray) -> np.ndarray:
        return _zone_area(self.b, self.e2, lat1, lat2)


def _zone_area(
    b: float, e2: float, lat1: np.ndarray | float, lat2: np.ndarray, apart: np.ndarray | None = None
) -> np.ndarray:
    """Area per radian of longitude between two parallels, b^2/2 [f(sin lat2) - f(sin lat1)].

    f(s) = s / (1 - e2 s^2) + atanh(e s) / e; both differences are rewritten so that neighbouring
    parallels (tiny cells) do not lose digits to cancellation. ``apart``: lat2 - lat1 when the caller knows it
    better than their difference in radians does.
    """
    s1, s2 = np.sin(lat1), np.sin(lat2)
    apart = lat2 - lat1 if apart is None else apart
    ds = 2.0 * np.cos(0.5 * (lat1 + lat2)) * np.sin(0.5 * apart)
    first = ds * (1.0 + e2 * s1 * s2) / ((1.0 - e2 * s1 * s1) * (1.0 - e2 * s2 * s2))
    if e2 > 0.0:
        e = math.sqrt(e2)
        second = np.arctanh(e * ds / (1.0 - e2 * s1 * s2)) / e
    else:
        second = ds
    return 0.5 * b * b * (first + second)


#: ``polygon_area_m2`` cuts a projected polygon's edges into this many pieces per extent before measuring them by
#: geodesics: a piece's geodesic strays from the straight edge by about the square of its length, so the area is
#: off by about 1.5e-8 for a box of 40 x 25 degrees in Web Mercator (9.6e-7 with 256 pieces), at 11 ms.
_AREA_PIECES_PER_EXTENT = 2048
#: Error (of a cell's area) a partly covered cell's share may carry from the area's change across the cell
#: before ``ProjectedCellArea.slopes`` corrects it: half the 1e-6 asked of any area, so that only grids that need
#: it pay for the moments (1.6 ms, +70 %, on a sample zone's 50 m UTM cells, where they change it by 1e-11).
_PARTIAL_CELL_TOLERANCE = 5e-7
#: How far past its end nodes (cell centres) a slope is taken: to the outer edges of the end cells.
_HALF_CELL = 0.5


def polygon_area_m2(
    geometry: BaseGeometry, crs: pyproj.CRS | None, checkpoint: Callable[[], None] | None = None
) -> float:
    """Ellipsoidal area of a polygon given in the raster CRS (planar only for a raster without CRS);
    ``checkpoint`` is called between blocks of a long ring measured by ``Geod`` (to stop by raising).

    Works on each ring's coordinate array (densified, to longitude and latitude, into ``Geod``) without
    building shapely geometries on the way: with shapely 1.8 those conversions cost several times the area
    itself, which a loop over many small polygons would pay on every call."""
    if crs is None:
        return float(geometry.area)
    if not crs.is_geographic:
        fitted = _fitted_area(geometry, crs)
        if fitted is not None:
            return fitted
    if crs.is_geographic:
        area = _lon_lat_area(geometry, crs)
        if not math.isfinite(area):
            raise ValueError("the polygon reaches beyond the area where the raster's CRS is defined")
        return area
    ground = _ground(crs)

    def lon_lat(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ground.degrees(xy[:, 0], xy[:, 1])

    geod = ground.geod

    def part_area(part) -> float:
        # Geod joins vertices by geodesics, the raster grid by straight lines in its CRS: densify so they agree,
        # at a step from the part's own extent.
        xmin, ymin, xmax, ymax = part.bounds
        step = max(xmax - xmin, ymax - ymin) / _AREA_PIECES_PER_EXTENT

        def ring_area(ring) -> float:  # unsigned: Geod's sign only tells the ring's orientation
            return abs(_ring_geod_area(np.asarray(ring.coords)[:, :2], step, lon_lat, geod, checkpoint))

        return ring_area(part.exterior) - sum((ring_area(hole) for hole in part.interiors), 0.0)

    area = sum((part_area(part) for part in getattr(geometry, "geoms", [geometry])), 0.0)
    if not math.isfinite(area):
        raise ValueError("the polygon reaches beyond the area where the raster's CRS is defined")
    return area


def _lon_lat_area(geometry: BaseGeometry, crs: pyproj.CRS) -> float:
    """Ellipsoidal area of a polygon whose edges are straight in longitude and latitude, as a geographic
    raster's grid sees them (``_ring_zone_integral`` of each ring). No geodesics, nothing densified; parts split
    at the raster's seam a whole turn apart measure the same wherever they lie."""
    a, b = _ellipsoid_axes(crs)
    e2 = 1.0 - (b / a) ** 2
    to_radians = angular_unit_factor(crs)
    total = 0.0
    for xy, exterior in polygon_rings(geometry):
        if len(xy) >= 4:
            total += abs(_ring_zone_integral(xy, to_radians, b, e2)) * (1.0 if exterior else -1.0)
    return total


def _ring_zone_integral(xy: np.ndarray, to_radians: float, b: float, e2: float) -> float:
    """Signed area of a closed ring (in its CRS's angular units): the integral over longitude of the zone area
    from its first latitude, exact to round-off with Gauss-Legendre on edge pieces of at most
    ``_PIECE_LATITUDE`` of latitude, in blocks of about ``_AREA_BLOCK_EDGES`` pieces. Coordinates are taken
    relative to the first vertex before they turn into radians, so a tiny ring keeps its digits."""
    lat0 = float(xy[0, 1]) * to_radians
    relative = (xy - xy[0]) * to_radians
    start, delta = relative[:-1], np.diff(xy, axis=0) * to_radians
    pieces = np.maximum(np.ceil(np.abs(delta[:, 1]) / _PIECE_LATITUDE), 1.0)
    pieces = np.where(np.isfinite(pieces), pieces, 1.0).astype(np.intp)
    block = np.floor_divide(np.cumsum(pieces) - pieces, _AREA_BLOCK_EDGES)
    signed = 0.0
    for edges in np.split(np.arange(len(start)), np.flatnonzero(np.diff(block)) + 1):
        count = pieces[edges]
        edge = np.repeat(edges, count)
        share = pieces[edge][:, None].astype(np.float64)
        first = (np.arange(edge.size) - np.repeat(np.cumsum(count) - count, count))[:, None]
        above = start[edge, 1:] + delta[edge, 1:] * ((first + _LEGENDRE_T) / share)
        zone = _zone_area(b, e2, lat0, lat0 + above, above)
        signed += float(np.dot(delta[edge, 0] / share[:, 0], zone @ _LEGENDRE_W))
    return signed


#: Gauss-Legendre nodes (on [0, 1]) and weights of ``_lon_lat_area``, and the most latitude an edge piece spans:
#: the zone area is analytic: 4 nodes on a degree leave about 1e-15 of a piece (h^9 f^(8) / 3.6e9).
_LEGENDRE_X, _LEGENDRE_WX = np.polynomial.legendre.leggauss(4)
_LEGENDRE_T, _LEGENDRE_W = 0.5 * (_LEGENDRE_X + 1.0), 0.5 * _LEGENDRE_WX
_PIECE_LATITUDE = math.radians(1.0)


#: Ring vertices densified and measured at once by ``polygon_area_m2`` (at most ~370k points, ~50 MB), and edges
#: integrated at once by its fitted ground area (~20 MB): memory bounded whatever the polygon.
_AREA_BLOCK_VERTICES = 1024
_AREA_BLOCK_EDGES = 1 << 16


def _ring_geod_area(
    xy: np.ndarray,
    step: float,
    lon_lat: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    geod: pyproj.Geod,
    checkpoint: Callable[[], None] | None = None,
) -> float:
    """Signed ``Geod`` area of a closed ring densified to ``step``, in blocks of vertices each closed through the
    first vertex: the geodesics joining neighbouring blocks to it run both ways and cancel, and the points held
    stay bounded however long the perimeter (a comb of 20,000 teeth made 10 million points at once)."""
    signed = 0.0
    for start in range(0, len(xy) - 1, _AREA_BLOCK_VERTICES):
        if checkpoint is not None:
            checkpoint()
        dense = densify_coords(xy[start : start + _AREA_BLOCK_VERTICES + 1], step)
        if start:  # joined to the first vertex by geodesics both ways, not densified: they cancel
            dense = np.vstack([xy[:1], dense])
        lon, lat = lon_lat(dense)
        signed += float(geod.polygon_area_perimeter(lon, lat)[0])
    return signed


#: Largest map extent (m) of a polygon whose ground area comes from a fit of the projection's areal scale; and
#: how closely (relative) the fit must predict the scale at check points, else ``Geod`` measures the polygon.
_FIT_EXTENT_M = 20_000.0
_FIT_TOLERANCE = 1e-8
_NODES = np.array([-1.0, 0.0, 1.0])
#: Lagrange basis on the nodes -1, 0, 1 as rows of coefficients of 1, t, t^2.
_LAGRANGE = np.array([[0.0, -0.5, 0.5], [1.0, 0.0, -1.0], [0.0, 0.5, 0.5]])
_GAUSS_T = 0.5 + 0.5 * np.array([-math.sqrt(0.6), 0.0, math.sqrt(0.6)])
_GAUSS_W = np.array([5.0, 8.0, 5.0]) / 18.0


def _fitted_area(geometry: BaseGeometry, crs: pyproj.CRS) -> float | None:
    """Ground area of a small polygon in a projected CRS: the exact integral, over its map area, of a
    biquadratic fit of the ground area per map area through 3 x 3 points of its bounding box; None when the
    polygon is too large or the fit misses its check points (then ``Geod`` measures it).

    A few dozen projected points instead of ``Geod`` on the densified rings: a fraction of a millisecond, which
    is most of a small polygon's estimate, and exactly the straight-edged polygon the raster grid sees. Each
    ring's coordinates are taken from shapely once and all rings integrated together: with shapely 1.8 a
    ring's coordinates or the bounds cost as much as the fit."""
    parts = getattr(geometry, "geoms", [geometry])
    rings = [np.asarray(ring.coords)[:, :2] for part in parts for ring in (part.exterior, *part.interiors)]
    signs = np.array([1.0 if k == 0 else -1.0 for part in parts for k in range(1 + len(part.interiors))])
    every = np.concatenate(rings)
    (xmin, ymin), (xmax, ymax) = every.min(axis=0), every.max(axis=0)
    unit = linear_unit_factor(crs)
    if max(xmax - xmin, ymax - ymin) * unit > _FIT_EXTENT_M:
        return None
    xc, yc, hx, hy = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax), 0.5 * (xmax - xmin), 0.5 * (ymax - ymin)
    scale = _ground_per_map_area(Affine.identity(), crs, xc + hx * _FIT_U, yc + hy * _FIT_V)
    if not np.isfinite(scale).all() or (scale <= 0).any():
        return None
    coeff = _LAGRANGE.T @ scale[:9].reshape(3, 3) @ _LAGRANGE  # of u^p v^q
    predicted = np.sum((_CHECK_U @ coeff) * _CHECK_V, axis=1)
    if float(np.abs(predicted / scale[9:] - 1.0).max()) > _FIT_TOLERANCE:
        return None
    antiderivative = coeff * (hx / np.array([1.0, 2.0, 3.0]))[:, None]  # integral over x: u^(p+1) / (p+1)
    # Green: the integral of F dy along each ring, exact with 3-point Gauss on every edge; in blocks of edges,
    # since the Gauss points and their powers take about 300 bytes an edge.
    start = np.concatenate([xy[:-1] for xy in rings])
    delta = np.concatenate([np.diff(xy, axis=0) for xy in rings])
    edges = np.empty(len(start))
    for first in range(0, len(start), _AREA_BLOCK_EDGES):
        block = slice(first, first + _AREA_BLOCK_EDGES)
        points = (start[block, None, :] + delta[block, None, :] * _GAUSS_T[None, :, None]).reshape(-1, 2)
        pu, pv = (points[:, 0] - xc) / hx, (points[:, 1] - yc) / hy
        f = pu * np.sum((_powers(pu) @ antiderivative) * _powers(pv), axis=1)
        edges[block] = delta[block, 1] * (f.reshape(-1, 3) @ _GAUSS_W)
    owner = np.repeat(np.arange(len(rings)), [len(xy) - 1 for xy in rings])
    return float(signs @ np.abs(np.bincount(owner, weights=edges, minlength=len(rings)))) * unit * unit


def _powers(t: np.ndarray) -> np.ndarray:
    """1, t, t^2 of each value, one row per value."""
    return np.vander(t, 3, increasing=True)


#: The fit's 3 x 3 nodes and its 2 x 2 check points, in units of the bounding box's half sides.
_FIT_U = np.concatenate([np.repeat(_NODES, 3), np.repeat([-0.5, 0.5], 2)])
_FIT_V = np.concatenate([np.tile(_NODES, 3), np.tile([-0.5, 0.5], 2)])
_CHECK_U, _CHECK_V = _powers(_FIT_U[9:]), _powers(_FIT_V[9:])


#: Coarse-grid spacing of the ground-area samples of a projected raster, m, and their number per axis to begin
#: with. Between samples the areal scale is interpolated by cubics, off by at most h^4 max|f4| / 24 (f4 its
#: fourth derivative), which the samples' fourth differences measure; an axis whose estimate exceeds
#: ``_INTERPOLATION_TOLERANCE`` is sampled more densely (up to every cell), so the bound holds for any window
#: (linear interpolation with at most 160 samples was 5e-6 off on Mercator grids at 75 N).
_SAMPLE_SPACING_M = 2000.0
_MAX_SAMPLES_PER_AXIS = 160
_INTERPOLATION_TOLERANCE = 1e-7
#: Relative variation of the cell area below which a window counts as uniform, and one axis of a separable fit.
_UNIFORM = 2e-8
_UNIFORM_AXIS = 1e-7
#: A separable fit (row factor x column factor) is used when it reproduces the samples to this; with an axis
#: left uniform, cell areas stay within 2e-7 of the interpolated samples.
_SEPARABLE = 1e-7


class ProjectedCellArea:
    """Ground (ellipsoidal) areas of the cells of a projected raster's window.

    A projection that is not equal-area draws ground at a scale that varies across the grid (Web Mercator near
    50 N: 2.4 x; polar stereographic, UTM far from its meridian, conics: a few % to 0.1 %). The ground area of
    a cell is its map area divided by the projection's areal scale at the cell centre (the midpoint rule: off
    by (cell / R)^2 / 24, below 1e-9 for 1 km cells), sampled on a coarse grid of cell centres and
    interpolated by cubics, the grid as fine as keeps them within 1e-7 (``_needed_count``). The areal scale
    comes from central differences of the inverse projection (``_ground_per_map_area``), so it holds for any
    CRS pyproj can invert (units, false scale included), on the CRS's own ellipsoid (EPSG:28413: Krassowsky,
    1e-5 below the same ground measured on WGS84; that is the raster's datum, not an error).
    Uniform windows (equal-area projections, small windows) use one area for all cells, separable ones
    (Mercator: rows only; transverse Mercator: columns only) a row and a column factor, others interpolate in
    both directions. A cell the polygon covers in part counts the ground under its covered part: its share of
    the cell's area, corrected by the area's change across the cell times the part's first moments
    (``slopes``) where that change could matter (``slopes_matter``).
    """

    def __init__(self, transform: Affine, crs: pyproj.CRS, row0: int, row1: int, col0: int, col1: int):
        self.transform = transform
        self._origin, self._extent = (row0, col0), (row1 - row0, col1 - col0)
        self._values: list[np.ndarray | None] = [None, None]  # the row and column factors of every cell, once needed
        self.map_area = projected_cell_area(transform, crs)
        counts = (
            _sample_count(row0, row1, self._cells_per_sample(transform, crs, axis=1)),
            _sample_count(col0, col1, self._cells_per_sample(transform, crs, axis=0)),
        )
        while True:  # more samples along an axis until cubics between them are within the tolerance
            self.rows = _sample_positions(row0, row1, counts[0])
            self.cols = _sample_positions(col0, col1, counts[1])
            cols, rows = np.meshgrid(self.cols, self.rows)
            areas = self.map_area * _ground_per_map_area(transform, crs, cols.ravel(), rows.ravel()).reshape(cols.shape)
            if not np.isfinite(areas).all() or (areas <= 0).any():
                raise ValueError("the polygon reaches beyond the area where the raster's CRS is defined")
            mean = float(areas.mean())
            relative = areas / mean
            needed = (_needed_count(relative, 0, row1 - row0), _needed_count(relative, 1, col1 - col0))
            if needed == counts:
                break
            counts = needed
        self.constant: float | None = mean if float(np.abs(relative - 1.0).max()) < _UNIFORM else None
        if self.constant is not None and abs(mean / self.map_area - 1.0) < _UNIFORM:
            self.constant = self.map_area  # an equal-area projection: PROJ's inverse is only good to ~1e-10
        self.max_step = _largest_step(relative, self.rows, self.cols)
        self.row_factor: np.ndarray | None = None
        self.col_factor: np.ndarray | None = None
        self.samples: np.ndarray | None = areas
        #: m2 that a fraction scaled by ``scale_window`` stands for.
        self.unit = self.constant if self.constant is not None else self.map_area
        if self.constant is not None:
            self.samples = None
        else:
            row_factor = relative.mean(axis=1)
            col_factor = relative.mean(axis=0) / float(relative.mean())
            fit = mean * row_factor[:, None] * col_factor[None, :]
            if float(np.abs(fit / areas - 1.0).max()) < _SEPARABLE:
                self.samples = None
                self.unit = mean
                if float(np.abs(row_factor - 1.0).max()) >= _UNIFORM_AXIS:
                    self.row_factor = row_factor
                if float(np.abs(col_factor - 1.0).max()) >= _UNIFORM_AXIS:
                    self.col_factor = col_factor

    @staticmethod
    def _cells_per_sample(transform: Affine, crs: pyproj.CRS, axis: int) -> float:
        step = math.hypot(transform.a, transform.d) if axis == 0 else math.hypot(transform.b, transform.e)
        return max(_SAMPLE_SPACING_M / max(step * linear_unit_factor(crs), 1e-9), 1.0)

    @property
    def separable(self) -> bool:
        """Whether a cell's area in ``unit`` is a row factor times a column factor (either maybe 1)."""
        return self.samples is None

    def factors(self, row0: int, row1: int, col0: int, col1: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The row and the column factors of a window's cells (None along an axis where they do not vary); for
        separable areas only."""
        rows = None if self.row_factor is None else self._factors(0, row0, row1 - row0)
        cols = None if self.col_factor is None else self._factors(1, col0, col1 - col0)
        return rows, cols

    def scale_window(self, frac: np.ndarray, row0: int, col0: int) -> None:
        """Multiply the covered fractions of a window (in place) by the cells' ground areas in ``unit``."""
        if self.constant is not None:
            return
        height, width = frac.shape
        if self.samples is None:
            rows, cols = self.factors(row0, row0 + height, col0, col0 + width)
            if rows is not None:
                frac *= rows[:, None]
            if cols is not None:
                frac *= cols[None, :]
            return
        centres_r = np.arange(row0, row0 + height) + 0.5
        centres_c = np.arange(col0, col0 + width) + 0.5
        # Bicubic over the samples around this window only: interpolation weights per row and per column, so the
        # window costs two small matrix products.
        frac *= (
            _interpolation_matrix(centres_r, self.rows)
            @ self.samples
            @ _interpolation_matrix(centres_c, self.cols).T
            / self.map_area
        )

    @property
    def slopes_matter(self) -> bool:
        """Whether a partly covered cell's share needs ``slopes``: the area changes by more than 1e-6 across a
        cell, so the share counted at the cell's centre could be off by more than 5e-7 of the cell."""
        return 0.5 * self.max_step > _PARTIAL_CELL_TOLERANCE

    def slopes(
        self, row0: int, row1: int, col0: int, col1: int, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """At the cells ``rows``, ``cols`` of a window (counted from its corner), how a cell's ground area (in
        ``unit``, as ``scale_window`` gives it) changes per cell down the rows and along the columns, at its
        centre: with the first moments of a partly covered cell's part (``CellCoverage.moments``), the ground
        under the part to second order, not at the cell's centre (off by up to 1.4e-4 of the part for 1 km cells
        of Web Mercator at 60 N)."""
        edges_r = np.arange(row0, row1 + 1, dtype=np.float64)
        edges_c = np.arange(col0, col1 + 1, dtype=np.float64)
        if self.constant is not None:
            return np.zeros(rows.size), np.zeros(rows.size)
        if self.samples is None:
            at_rows, d_rows = _at_and_across(edges_r, self.rows, self.row_factor)
            at_cols, d_cols = _at_and_across(edges_c, self.cols, self.col_factor)
            return d_rows[rows] * at_cols[cols], at_rows[rows] * d_cols[cols]
        on_rows = _interpolation_matrix(edges_r, self.rows, _HALF_CELL) @ self.samples / self.map_area
        down = np.diff(on_rows @ _interpolation_matrix(edges_c[:-1] + 0.5, self.cols).T, axis=0)
        on_cols = _interpolation_matrix(edges_r[:-1] + 0.5, self.rows) @ self.samples / self.map_area
        across = np.diff(on_cols @ _interpolation_matrix(edges_c, self.cols, _HALF_CELL).T, axis=1)
        return down[rows, cols], across[rows, cols]

    def _factors(self, axis: int, start: int, count: int) -> np.ndarray:
        """The separable factor of ``count`` rows (axis 0) or columns (1) from ``start``: interpolated for all
        of this object's rows or columns at the first call (a loop over small polygons reuses a region's), and
        directly for positions outside them."""
        nodes, factor = (self.rows, self.row_factor) if axis == 0 else (self.cols, self.col_factor)
        assert factor is not None
        first, extent = self._origin[axis], self._extent[axis]
        if start < first or start + count > first + extent:
            return _interpolate(np.arange(start, start + count) + 0.5, nodes, factor)
        values = self._values[axis]
        if values is None:
            values = self._values[axis] = _interpolate(np.arange(first, first + extent) + 0.5, nodes, factor)
        return values[start - first : start - first + count]


def _at_and_across(edges: np.ndarray, nodes: np.ndarray, factor: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """A separable factor at the centres of the cells between ``edges``, and its change across each (1 and 0
    where it does not vary)."""
    if factor is None:
        return np.ones(edges.size - 1), np.zeros(edges.size - 1)
    return _interpolate(edges[:-1] + 0.5, nodes, factor), np.diff(_interpolate(edges, nodes, factor, _HALF_CELL))


def _sample_count(start: int, stop: int, cells_per_sample: float) -> int:
    """Number of samples over the cells [start, stop): about ``cells_per_sample`` apart, at most
    ``_MAX_SAMPLES_PER_AXIS``."""
    if stop - start <= 1:
        return 1
    return int(min(max(math.ceil((stop - start - 1) / cells_per_sample), 1), _MAX_SAMPLES_PER_AXIS - 1)) + 1


def _sample_positions(start: int, stop: int, count: int) -> np.ndarray:
    """``count`` evenly spaced cell-centre positions from the first to the last cell of [start, stop)."""
    return np.linspace(start + 0.5, max(stop - 0.5, start + 0.5), count)


def _needed_count(relative: np.ndarray, axis: int, cells: int) -> int:
    """Samples along ``axis`` for cubic interpolation within ``_INTERPOLATION_TOLERANCE``: the error bound
    h^4 max|f4| / 24 estimated by the largest fourth difference, which shrinks as the fourth power of the
    spacing; every cell's centre (exact) at most. Fewer than 5 samples span at most 8 km: well within."""
    count = relative.shape[axis]
    if count < 5 or count >= cells:
        return count
    error = float(np.abs(np.diff(relative, n=4, axis=axis)).max()) / float(relative.min()) / 24.0
    if error <= _INTERPOLATION_TOLERANCE:
        return count
    return min(cells, math.ceil(1.2 * (count - 1) * (error / _INTERPOLATION_TOLERANCE) ** 0.25) + 1)


def _cubic_weights(points: np.ndarray, nodes: np.ndarray, reach: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise-cubic interpolation: for each point, the indices of the 4 nodes around it (all nodes when
    there are fewer) and the weights of the Lagrange cubic through them; the end cubics carried on ``reach``
    beyond the end nodes (the nodes are cell centres: the outer edges of the end cells lie half a cell out),
    constant further out."""
    size = min(nodes.size, 4)
    start = np.clip(np.searchsorted(nodes, points, side="right") - 2, 0, nodes.size - size)
    stencil = start[:, None] + np.arange(size)[None, :]
    at = nodes[stencil]
    x = np.clip(points, nodes[0] - reach, nodes[-1] + reach)
    weights = np.ones(stencil.shape)
    for j in range(size):
        for m in range(size):
            if m != j:
                weights[:, j] *= (x - at[:, m]) / (at[:, j] - at[:, m])
    return stencil, weights


def _interpolate(points: np.ndarray, nodes: np.ndarray, values: np.ndarray, reach: float = 0.0) -> np.ndarray:
    stencil, weights = _cubic_weights(points, nodes, reach)
    return (weights * values[stencil]).sum(axis=1)


def _interpolation_matrix(points: np.ndarray, nodes: np.ndarray, reach: float = 0.0) -> np.ndarray:
    """The weights of ``_cubic_weights`` as a (len(points) x len(nodes)) matrix."""
    stencil, weights = _cubic_weights(points, nodes, reach)
    matrix = np.zeros((points.size, nodes.size))
    matrix[np.arange(points.size)[:, None], stencil] = weights
    return matrix


def _largest_step(relative: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """Largest relative change of the cell area from one cell to the next, from the samples."""
    steps = [0.0]
    if rows.size > 1:
        steps.append(float((np.abs(np.diff(relative, axis=0)) / np.diff(rows)[:, None]).max()))
    if cols.size > 1:
        steps.append(float((np.abs(np.diff(relative, axis=1)) / np.diff(cols)[None, :]).max()))
    return max(steps) / float(relative.min())


def _ground_per_map_area(transform: Affine, crs: pyproj.CRS, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Ellipsoidal area per unit of map area (m2 per map unit^2 / its metres^2) at cell positions.

    The map steps +-h along x and along y are taken to points on the ellipsoid in earth-centred coordinates;
    the cross product of the two chords is the ground area of the map square (2h)^2, to (h / R)^2. Unlike a
    longitude/latitude Jacobian it is finite where longitude is undefined or wraps: at a pole (inside a polar
    stereographic grid) and across the antimeridian."""
    ground = _ground(crs)
    x, y = affine_ops.apply(transform, cols, rows)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    unit = ground.unit
    # Chords of at least 10 m: shorter ones lose digits to the rounding of earth-centred coordinates (~1e-9 m).
    step = max(10.0 / unit, 1e-6 * max(float(np.abs(x).max()), float(np.abs(y).max())))
    xs = np.concatenate([x + step, x - step, x, x])
    ys = np.concatenate([y, y, y + step, y - step])
    lon, lat = (np.asarray(v, dtype=np.float64) * ground.to_radians for v in ground.to_geo.transform(xs, ys))
    a, b = ground.a, ground.b
    e2 = 1.0 - (b / a) ** 2
    # Points outside the projection's domain come back infinite: their areas are NaN, which callers refuse or
    # fall back from, without numpy's warning reaching the user's log.
    with np.errstate(invalid="ignore"):
        sin_lat = np.sin(lat)
        normal = a / np.sqrt(1.0 - e2 * sin_lat * sin_lat)  # prime-vertical radius of curvature
        points = np.stack(
            [normal * np.cos(lat) * np.cos(lon), normal * np.cos(lat) * np.sin(lon), normal * (1.0 - e2) * sin_lat]
        )
        n = x.size
        along_x = points[:, :n] - points[:, n : 2 * n]
        along_y = points[:, 2 * n : 3 * n] - points[:, 3 * n :]
        area = np.linalg.norm(np.cross(along_x, along_y, axis=0), axis=0)  # m2 of the map square (2 step)^2
    return area / ((2.0 * step * unit) ** 2)
