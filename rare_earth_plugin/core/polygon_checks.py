"""What a polygon must satisfy before the engine uses it, and the repair of invalid ones to what a person means."""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
import pyproj
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

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
    # pays a lookup, not pyproj's properties and WKT (50 us a call)
    _, geographic, use = per_thread(("coordinate range", id(crs)), lambda: _range_of(crs))
    if geographic:
        _check_geographic_range(geometry, crs)
    elif use != ():
        _check_projected_range(geometry, crs, use, geometry.bounds if bounds is None else bounds)


def _range_of(crs: pyproj.CRS) -> tuple[pyproj.CRS, bool, tuple[float, ...] | None]:
    """The CRS, whether it is geographic, and a projected CRS's area of use in its own coordinates (None when it
    declares none or it cannot be worked out; () for neither kind)."""
    if crs.is_geographic:
        return crs, True, None
    if not crs.is_projected:
        return crs, False, ()
    use = crs.area_of_use
    if use is None:
        return crs, False, None
    try:
        transformer = pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(4326), crs, always_xy=True)
        bounds = transformer.transform_bounds(use.west, use.south, use.east, use.north, densify_pts=21)
    except pyproj.exceptions.ProjError:
        return crs, False, None
    return crs, False, tuple(float(v) for v in bounds) if all(math.isfinite(v) for v in bounds) else None


#: How far (metres) a projected vertex may come back from longitude and latitude and still be the same place: one
#: beyond a projection's domain comes back thousands of kilometres away (Web Mercator's x past 20,037 km wraps round
#: the world, and a polygon there measured a few m2), or not at all.
_ROUND_TRIP_M = 1000.0


def _check_projected_range(
    geometry: BaseGeometry, crs: pyproj.CRS, use: tuple[float, ...] | None, bounds: tuple[float, ...]
) -> None:
    """Refuse map coordinates the projection does not reach: the vertices furthest out, taken to longitude and
    latitude and back, must come back where they were. Only asked for a polygon reaching beyond the CRS's area of
    use ``use`` (the usual polygon pays one comparison of bounds)."""
    west, south, east, north = bounds
    if use is not None and use[0] <= west and use[1] <= south and east <= use[2] and north <= use[3]:
        return
    parts = getattr(geometry, "geoms", [geometry])
    xy = np.concatenate([np.asarray(part.exterior.coords, dtype=np.float64)[:, :2] for part in parts])
    far = xy[[xy[:, 0].argmin(), xy[:, 0].argmax(), xy[:, 1].argmin(), xy[:, 1].argmax()]]
    to_geo, to_map = _round_trip(crs.to_wkt())
    with np.errstate(invalid="ignore"):
        back = np.column_stack(to_map.transform(*to_geo.transform(far[:, 0], far[:, 1])))
        moved = np.hypot(*(back - far).T) * _metres_per_unit(crs)
    if not (moved <= _ROUND_TRIP_M).all():
        x, y = far[int(np.argmax(np.where(np.isfinite(moved), moved, np.inf)))]
        raise GeometryError(
            f"polygon: the point ({x:.10g}, {y:.10g}) lies beyond the area where "
            f"{crs.name if crs.name != 'unknown' else 'its CRS'} is defined (it is not a place the projection "
            "reaches); is the polygon in this CRS?"
        )


def _metres_per_unit(crs: pyproj.CRS) -> float:
    axes = crs.axis_info
    return float(axes[0].unit_conversion_factor) if axes and axes[0].unit_conversion_factor else 1.0


def _round_trip(wkt: str) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    def make() -> tuple[pyproj.Transformer, pyproj.Transformer]:
        crs = pyproj.CRS.from_wkt(wkt)
        geodetic = crs.geodetic_crs or pyproj.CRS.from_epsg(4326)
        return (
            pyproj.Transformer.from_crs(crs, geodetic, always_xy=True),
            pyproj.Transformer.from_crs(geodetic, crs, always_xy=True),
        )

    return per_thread(("round trip", wkt), make)


def _check_geographic_range(geometry: BaseGeometry, crs: pyproj.CRS) -> None:
    """Refuse lon/lat outside what a geographic CRS can mean: latitudes beyond the poles, longitudes beyond a
    full turn either way, a part wider than half a turn (unless a whole turn: a band or cap around a pole), which
    every raster CRS would read differently."""
    axes = crs.axis_info
    factor = axes[0].unit_conversion_factor if axes and axes[0].unit_conversion_factor else math.pi / 180.0
    to_degrees = math.degrees(factor)
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
