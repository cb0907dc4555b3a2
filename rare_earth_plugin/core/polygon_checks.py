"""What a polygon must satisfy before the engine uses it, and the repair of invalid ones to what a person means."""

from __future__ import annotations

import math
from functools import reduce

import numpy as np
import pyproj
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

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


def check_geographic_range(geometry: BaseGeometry, crs: pyproj.CRS | None) -> None:
    """Refuse lon/lat outside what a geographic CRS can mean: latitudes beyond the poles, longitudes beyond a
    full turn either way, a part wider than half a turn (unless a whole turn: a band or cap around a pole), which
    every raster CRS would read differently."""
    if crs is None or not crs.is_geographic:
        return
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
