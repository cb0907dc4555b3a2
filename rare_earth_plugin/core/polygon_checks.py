"""What a polygon must satisfy before the engine uses it, and the repair of invalid ones to what a person means."""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
import pyproj
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .crs_units import angular_unit_factor, linear_unit_factor
from .proj_threads import per_thread

try:  # GEOS >= 3.8; otherwise buffer(0) does the repair
    from shapely.validation import make_valid
except ImportError:  # pragma: no cover - depends on the GEOS build
    make_valid = None


class GeometryError(ValueError):
    """The polygon cannot be used; the message says why."""


def check_finite(geometry: BaseGeometry) -> None:
    """Refuse NaN or infinite vertices (shapely would carry them into NaN areas)."""
    for part in getattr(geometry, "geoms", [geometry]):
        for ring in [part.exterior, *part.interiors]:
            xy = np.asarray(ring.coords, dtype=np.float64)
            if xy.size and not np.isfinite(xy).all():
                raise GeometryError("polygon: a vertex has a NaN or infinite coordinate")


def check_coordinate_range(
    geometry: BaseGeometry, crs: pyproj.CRS | None, bounds: tuple[float, float, float, float] | None = None
) -> None:
    """Refuse coordinates outside what the CRS can mean (see ``_check_geographic_range`` and
    ``_check_projected_range``); ``bounds``: the polygon's, when the caller has them (shapely 1.8 takes 25 us)."""
    if crs is None:
        return
    # per CRS object, which the entry keeps alive (so its id is not reused meanwhile): a loop of small polygons
    # pays a lookup, not pyproj's properties, WKT and transformers (50-250 us a call)
    known = per_thread(("coordinate range", id(crs)), lambda: _CrsRange(crs))
    if known.geographic:
        _check_geographic_range(geometry, crs)
    elif known.projected:
        _check_projected_range(geometry, known, geometry.bounds if bounds is None else bounds)


#: How far (metres) a projected vertex may come back from longitude and latitude and still be the same place: one
#: beyond a projection's domain comes back thousands of kilometres away (Web Mercator's x past 20,037 km wraps round
#: the world, and a polygon there measured a few m2), or not at all.
_ROUND_TRIP_M = 1000.0


class _CrsRange:
    """What the range checks need of a CRS, made once per CRS object and thread: its kind, a projected CRS's area
    of use in its own coordinates (from its EPSG code when its WKT, as a GeoTIFF's, carries none; None when
    unknown) and the transformers of the round trip through its longitude and latitude."""

    def __init__(self, crs: pyproj.CRS):
        self.crs = crs
        self.geographic = crs.is_geographic
        self.projected = crs.is_projected
        self.use: tuple[float, ...] | None = None
        if not self.projected:
            return
        self.metres = linear_unit_factor(crs)
        geodetic = crs.geodetic_crs or pyproj.CRS.from_epsg(4326)
        self.to_geo = pyproj.Transformer.from_crs(crs, geodetic, always_xy=True)
        self.to_map = pyproj.Transformer.from_crs(geodetic, crs, always_xy=True)
        area = crs.area_of_use
        if area is None:
            code = crs.to_epsg(min_confidence=70)
            area = pyproj.CRS.from_epsg(code).area_of_use if code is not None else None
        if area is None:
            return
        try:
            into = pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(4326), crs, always_xy=True)
            box = into.transform_bounds(area.west, area.south, area.east, area.north, densify_pts=21)
        except pyproj.exceptions.ProjError:
            return
        if all(math.isfinite(value) for value in box):
            self.use = tuple(float(value) for value in box)

    def moved(self, xy: np.ndarray) -> np.ndarray:
        """How far (m) each point comes back from its longitude and latitude (inf: not at all)."""
        with np.errstate(invalid="ignore"):
            back = np.column_stack(self.to_map.transform(*self.to_geo.transform(xy[:, 0], xy[:, 1])))
            moved = np.hypot(*(back - xy).T) * self.metres
        return np.where(np.isfinite(moved), moved, np.inf)


def _check_projected_range(geometry: BaseGeometry, known: _CrsRange, bounds: tuple[float, ...]) -> None:
    """Refuse map coordinates the projection does not reach: the vertices furthest out, taken to longitude and
    latitude and back, must come back where they were. A polygon within the CRS's area of use pays a comparison of
    bounds; one beyond it (or without one) the round trip of its bounding box's corners, and of its vertices
    furthest out only when a corner does not come back (a corner may lie outside a domain the polygon keeps to)."""
    west, south, east, north = bounds
    use = known.use
    if use is not None and use[0] <= west and use[1] <= south and east <= use[2] and north <= use[3]:
        return
    corners = np.array([(west, south), (west, north), (east, south), (east, north)], dtype=np.float64)
    if (known.moved(corners) <= _ROUND_TRIP_M).all():
        return
    parts = getattr(geometry, "geoms", [geometry])
    xy = np.concatenate([np.asarray(part.exterior.coords, dtype=np.float64)[:, :2] for part in parts])
    far = xy[[xy[:, 0].argmin(), xy[:, 0].argmax(), xy[:, 1].argmin(), xy[:, 1].argmax()]]
    moved = known.moved(far)
    if not (moved <= _ROUND_TRIP_M).all():
        x, y = far[int(np.argmax(moved))]
        name = known.crs.name
        raise GeometryError(
            f"polygon: the point ({x:.10g}, {y:.10g}) lies beyond the area where "
            f"{name if name != 'unknown' else 'its CRS'} is defined (it is not a place the projection reaches); "
            "is the polygon in this CRS?"
        )


def _check_geographic_range(geometry: BaseGeometry, crs: pyproj.CRS) -> None:
    """Refuse lon/lat outside what a geographic CRS can mean: latitudes beyond the poles, longitudes beyond a
    full turn either way, a part wider than half a turn (unless a whole turn: a band or cap around a pole), which
    every raster CRS would read differently."""
    to_degrees = math.degrees(angular_unit_factor(crs))
    west, south, east, north = (value * to_degrees for value in geometry.bounds)
    if south < -90.0 - 1e-9 or north > 90.0 + 1e-9:
        raise GeometryError(
            f"polygon: latitudes from {south:.6g} to {north:.6g} degrees lie beyond the poles "
            f"(valid: -90 to 90 in {crs.name}); are longitude and latitude swapped?"
        )
    if west < -360.0 or east > 360.0:
        raise GeometryError(
            f"polygon: longitudes from {west:.6g} to {east:.6g} degrees are outside the "
            f"valid range of {crs.name} (-180 to 180)"
        )
    for part in getattr(geometry, "geoms", [geometry]):
        part_west, _, part_east, _ = (value * to_degrees for value in part.bounds)
        width = part_east - part_west
        if width > 180.0 and abs(width - 360.0) > 1e-9:
            raise GeometryError(
                f"polygon: a part spans {width:.6g} degrees of longitude ({part_west:.6g} to {part_east:.6g}), "
                "more than 180: it would be read literally, not the short way round. Write a polygon across the "
                "antimeridian with longitudes past 180 (e.g. 175 to 185), a band around a pole from -180 to 180"
            )


def repair(geometry: BaseGeometry) -> tuple[BaseGeometry, list[str]]:
    """The area a person drawing an invalid (Multi)Polygon means, and what was repaired to get it.

    Each ring is made valid on its own (a bow-tie keeps both lobes); each part is its shell less its own holes,
    so a hole cuts only its own shell and a hole outside it is dropped, not turned into an island; the parts
    are joined as their union, so overlapping parts count their overlap once.
    """
    notes: list[str] = []
    parts = []
    for part in getattr(geometry, "geoms", [geometry]):
        if part.is_empty:
            continue
        shell = _valid(Polygon(part.exterior))
        if not Polygon(part.exterior).is_valid:
            notes.append("a self-intersecting outline was split into its lobes")
        holes = [_valid(Polygon(ring)) for ring in part.interiors]
        if holes:
            cut = _union(holes)
            if cut.difference(shell).area > 1e-12 * max(shell.area, 1e-300):
                notes.append("holes (or their parts) outside their shell were dropped")
            shell = shell.difference(cut)
        parts.append(shell)
    union = _union(parts) if parts else Polygon()
    if len(parts) > 1 and sum(p.area for p in parts) > union.area * (1.0 + 1e-12):
        notes.append("overlapping parts were merged (their union)")
    return polygonal_part(union), sorted(set(notes), key=notes.index)


def _union(geometries: list[BaseGeometry]) -> BaseGeometry:
    """Union by pairs: importing shapely.ops inside QGIS makes its exit crash now and then (GEOS teardown)."""
    return reduce(lambda a, b: a.union(b), geometries)


def _valid(polygon: Polygon) -> BaseGeometry:
    if polygon.is_valid:
        return polygon
    fixed = make_valid(polygon) if make_valid is not None else polygon.buffer(0)
    return polygonal_part(fixed)


def polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """The polygons of a repaired geometry (make_valid may return lines and points beside them)."""
    if isinstance(geometry, (Polygon, MultiPolygon)):
        return geometry
    polygons: list[Polygon] = []
    for part in getattr(geometry, "geoms", []):
        if isinstance(part, Polygon):
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(part.geoms)
    return MultiPolygon(polygons)
