"""Polygon input for the tonnage engine: parsing, repair, densified reprojection (shapely 1.8 and 2.x)."""

from __future__ import annotations

import math
from typing import Union

import numpy as np
import pyproj
from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from .polygon_checks import GeometryError, check_finite, polygonal_part
from .polygon_checks import repair as repair_with_notes
from .proj_threads import per_thread

PolygonInput = Union[Polygon, MultiPolygon, str]

#: Edges are cut into at most this many pieces per extent before reprojection, so a straight edge in the
#: polygon's CRS stays (to well below a cell) the same line on the ground in the raster's CRS.
DENSIFY_PIECES_PER_EXTENT = 256


def parse_polygon(polygon: PolygonInput) -> tuple[BaseGeometry, list[str]]:
    """A valid, non-empty (Multi)Polygon from a shapely geometry or WKT, and warnings about repairs made."""
    if isinstance(polygon, str):
        try:
            geometry = wkt.loads(polygon)
        except (ShapelyError, ValueError, TypeError) as exc:
            raise GeometryError(f"polygon: not valid WKT ({exc})") from exc
    else:
        geometry = polygon
    if not isinstance(geometry, (Polygon, MultiPolygon)):
        kind = getattr(geometry, "geom_type", type(geometry).__name__)
        raise GeometryError(f"polygon: expected a Polygon or MultiPolygon, got {kind}")
    if geometry.is_empty:
        raise GeometryError("polygon: the geometry is empty")
    if geometry.has_z:
        geometry = _drop_z(geometry)
    check_finite(geometry)
    warnings: list[str] = []
    if not geometry.is_valid:
        reason = explain_validity(geometry)
        geometry, notes = repair_with_notes(geometry)
        warnings.append(
            f"The polygon was invalid ({reason}) and has been repaired" + (f": {'; '.join(notes)}" if notes else "")
        )
    if geometry.is_empty or geometry.area == 0.0:
        raise GeometryError("polygon: the geometry has no area")
    return geometry, warnings


def repair(geometry: BaseGeometry) -> BaseGeometry:
    """The area an invalid (Multi)Polygon means (see ``polygon_checks.repair``)."""
    return repair_with_notes(geometry)[0]


def densify_coords(xy: np.ndarray, max_segment: float) -> np.ndarray:
    """Insert points along each segment of a vertex array so that no segment is longer than max_segment."""
    if max_segment <= 0 or len(xy) < 2:
        return xy
    delta = np.diff(xy, axis=0)
    pieces = np.maximum(np.ceil(np.hypot(delta[:, 0], delta[:, 1]) / max_segment), 1).astype(np.intp)
    if (pieces == 1).all():
        return xy
    segment = np.repeat(np.arange(len(delta)), pieces)
    fraction = (np.arange(segment.size) - (np.cumsum(pieces) - pieces)[segment]) / pieces[segment]
    dense = xy[:-1][segment] + delta[segment] * fraction[:, None]
    return np.vstack([dense, xy[-1:]])


def map_polygon_coords(geometry: BaseGeometry, func) -> BaseGeometry:
    """Apply ``func(xy array) -> xy array`` to every ring of a (Multi)Polygon."""

    def one(polygon: Polygon) -> Polygon:
        shell = func(np.asarray(polygon.exterior.coords)[:, :2])
        holes = [func(np.asarray(ring.coords)[:, :2]) for ring in polygon.interiors]
        return Polygon(shell, holes)

    if isinstance(geometry, Polygon):
        return one(geometry)
    return MultiPolygon([one(p) for p in geometry.geoms])


def densify(geometry: BaseGeometry, pieces: int = DENSIFY_PIECES_PER_EXTENT) -> BaseGeometry:
    """Edges no longer than 1/pieces of the larger side of the geometry's bounding box."""
    xmin, ymin, xmax, ymax = geometry.bounds
    step = max(xmax - xmin, ymax - ymin) / pieces
    return map_polygon_coords(geometry, lambda xy: densify_coords(xy, step))


def crs_from_wkt(text: str) -> pyproj.CRS:
    """The CRS of a WKT, made by and for the calling thread (see proj_threads)."""
    return per_thread(("wkt", text), lambda: pyproj.CRS.from_wkt(text))


def _transformer(src_wkt: str, dst_wkt: str) -> pyproj.Transformer:
    return per_thread(
        ("transformer", src_wkt, dst_wkt),
        lambda: pyproj.Transformer.from_crs(crs_from_wkt(src_wkt), crs_from_wkt(dst_wkt), always_xy=True),
    )


def transform_polygon(geometry: BaseGeometry, src: pyproj.CRS, dst: pyproj.CRS) -> BaseGeometry:
    """Reproject with edges densified first, and repair any self-touching the reprojection introduced."""
    if src == dst:
        return geometry
    transformer = _transformer(src.to_wkt(), dst.to_wkt())

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    moved = map_polygon_coords(densify(geometry), project)
    if dst.is_geographic and not src.is_geographic:
        # An inverse projection gives longitudes in (-180, 180]: a ring across the antimeridian jumps a turn.
        turn = 2.0 * math.pi / angular_unit_factor(dst)
        moved = map_polygon_coords(moved, lambda xy: _unwrapped(xy, turn))
    if not np.isfinite(moved.bounds).all():
        raise GeometryError("polygon: it cannot be transformed to the raster CRS (outside its area of use?)")
    return moved if moved.is_valid else repair(moved)


def angular_unit_factor(crs: pyproj.CRS) -> float:
    """Radians per unit of a geographic CRS's axes (degrees: pi/180)."""
    axes = crs.axis_info
    factor = axes[0].unit_conversion_factor if axes else None
    return float(factor) if factor else math.pi / 180.0


def _unwrapped(xy: np.ndarray, turn: float) -> np.ndarray:
    """A ring's longitudes made continuous (no step over half a turn), when the ring still closes so: one
    around a pole is left as it is."""
    lon = np.unwrap(xy[:, 0], period=turn)
    if abs(lon[-1] - lon[0]) > 1e-9 * turn:
        return xy
    return np.column_stack([lon, xy[:, 1]])


def into_longitude_span(geometry: BaseGeometry, west: float, turn: float) -> BaseGeometry:
    """A geographic polygon moved by whole turns of longitude into [west, west + turn), where a geographic
    raster's columns lie when ``west`` is its western edge: a raster from 170 to 190 E sees a polygon given at
    -179..-175 at 181..185, and a polygon across the seam ``west`` is cut there and both parts counted."""
    xmin, ymin, xmax, ymax = geometry.bounds
    if xmin >= west and xmax <= west + turn:
        return geometry
    band = Polygon([(west, ymin - 1.0), (west + turn, ymin - 1.0), (west + turn, ymax + 1.0), (west, ymax + 1.0)])
    parts: list[Polygon] = []
    for k in range(math.floor((xmin - west) / turn), math.floor((xmax - west) / turn) + 1):
        shift = np.array([k * turn, 0.0])
        piece = polygonal_part(map_polygon_coords(geometry, lambda xy, shift=shift: xy - shift).intersection(band))
        parts.extend(part for part in getattr(piece, "geoms", [piece]) if not part.is_empty)
    if len(parts) == 1:
        return parts[0]
    merged = MultiPolygon(parts)
    return merged if merged.is_valid else repair(merged)  # a polygon wider than a turn overlaps itself


def _drop_z(geometry: BaseGeometry) -> BaseGeometry:
    return map_polygon_coords(geometry, lambda xy: xy)
