"""Polygon input for the tonnage engine: parsing, repair, densified reprojection (shapely 1.8 and 2.x)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from typing import Union

import numpy as np
import pyproj
from pyproj.transformer import AreaOfInterest, TransformerGroup
from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from .crs_units import angular_unit_factor
from .polygon_checks import GeometryError, check_finite, polygonal_part
from .polygon_checks import repair as repair_with_notes
from .proj_threads import per_thread

PolygonInput = Union[Polygon, MultiPolygon, str]

#: Edges whose images are checked at a time (three PROJ points each): about 0.1 s between two checkpoints.
_CHECKED_EDGES = 1 << 17
#: A reprojected edge is cut until each piece's image strays from its chord by at most this share of the
#: polygon's mean width 2A/P in the raster CRS: the straight-edged image then misses at most 4/3 of it
#: (2.7e-8) of the area of the curved one (a chord off by s on a length L misses 2/3 s L).
CHORD_TOLERANCE = 2e-8
#: Where on each piece (as a share of it) the image is compared with the chord.
_CHORD_SAMPLES = np.array([0.25, 0.5, 0.75])
#: At most this many pieces per edge and round, rounds, and vertices of a reprojected polygon.
_MAX_SPLIT = 64
_MAX_ROUNDS = 8
MAX_TRANSFORMED_VERTICES = 2_000_000


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
    warnings: list[str] = []
    if not geometry.is_valid:  # GEOS finds a NaN or infinite vertex invalid, so a valid polygon has none
        check_finite(geometry)
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
    return split_segments(xy, pieces)[0]


def split_segments(xy: np.ndarray, pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The path through ``xy`` with segment i cut into pieces[i] equal parts; which of its points were in
    ``xy``; and for each new segment, the segment of ``xy`` it is part of."""
    segment = np.repeat(np.arange(len(xy) - 1), pieces)
    fraction = (np.arange(segment.size) - (np.cumsum(pieces) - pieces)[segment]) / pieces[segment]
    dense = xy[:-1][segment] + (xy[1:] - xy[:-1])[segment] * fraction[:, None]
    return np.vstack([dense, xy[-1:]]), np.append(fraction == 0.0, True), segment


def polygon_rings(geometry: BaseGeometry) -> Iterator[tuple[np.ndarray, bool]]:
    """Each ring of a (Multi)Polygon as an (n, 2) array of x, y, with whether it is an exterior."""
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.is_empty:
            continue
        for ring, exterior in [(polygon.exterior, True)] + [(hole, False) for hole in polygon.interiors]:
            yield np.asarray(ring.coords, dtype=np.float64)[:, :2], exterior


def map_polygon_coords(geometry: BaseGeometry, func) -> BaseGeometry:
    """Apply ``func(xy array) -> xy array`` to every ring of a (Multi)Polygon."""

    def one(polygon: Polygon) -> Polygon:
        shell = func(np.asarray(polygon.exterior.coords)[:, :2])
        holes = [func(np.asarray(ring.coords)[:, :2]) for ring in polygon.interiors]
        return Polygon(shell, holes)

    if isinstance(geometry, Polygon):
        return one(geometry)
    return MultiPolygon([one(p) for p in geometry.geoms])


def crs_from_wkt(text: str) -> pyproj.CRS:
    """The CRS of a WKT, made by and for the calling thread (see proj_threads)."""
    return per_thread(("wkt", text), lambda: pyproj.CRS.from_wkt(text))


def _transformer(src_wkt: str, dst_wkt: str) -> pyproj.Transformer:
    return per_thread(
        ("transformer", src_wkt, dst_wkt),
        lambda: pyproj.Transformer.from_crs(crs_from_wkt(src_wkt), crs_from_wkt(dst_wkt), always_xy=True),
    )


def transform_polygon(
    geometry: BaseGeometry, src: pyproj.CRS, dst: pyproj.CRS, checkpoint: Callable[[], None] | None = None
) -> BaseGeometry:
    """Reproject with edges cut adaptively (``_reprojected_rings``, which calls ``checkpoint`` between blocks of
    edges), and repair any self-touching the reprojection introduced."""
    if src == dst:
        return geometry
    transformer = _transformer(src.to_wkt(), dst.to_wkt())
    # PROJ gives longitudes in (-180, 180] (after an inverse projection, or between geographic CRSs with another
    # datum, prime meridian or unit): a ring across the antimeridian jumps a turn, so it is made continuous.
    turn = 2.0 * math.pi / angular_unit_factor(dst) if dst.is_geographic else None
    parts = getattr(geometry, "geoms", [geometry])
    rings = [np.asarray(ring.coords)[:, :2] for part in parts for ring in (part.exterior, *part.interiors)]
    if src.is_geographic and turn is not None:
        _refuse_a_moved_pole(rings, src, dst, transformer)
    signs = np.array([1.0 if k == 0 else -1.0 for part in parts for k in range(1 + len(part.interiors))])
    try:
        moved = iter(_reprojected_rings(rings, signs, transformer, turn, checkpoint))
    except GeometryError as exc:
        single = _one_operation(src, dst, rings) if str(exc) == _UNFAITHFUL else None
        if single is None:
            raise
        moved = iter(_reprojected_rings(rings, signs, single, turn, checkpoint))
    given = iter(rings)
    pieces = []
    for part in parts:
        shell, holes = next(moved), [next(moved) for _ in part.interiors]
        drawn = [next(given) for _ in range(1 + len(holes))]
        if turn is not None:
            shell, *holes = (
                _unwrapped(ring, turn, functools.partial(_pole_around, xy, src, dst))
                for ring, xy in zip((shell, *holes), drawn)
            )
        pieces.append(Polygon(shell, holes))
    result = pieces[0] if isinstance(geometry, Polygon) else MultiPolygon(pieces)
    return result if result.is_valid else repair(result)


def _one_operation(src: pyproj.CRS, dst: pyproj.CRS, rings: list[np.ndarray]) -> pyproj.Transformer | None:
    """One transformation for all of a polygon that seemed to tear: PROJ picks the best one for each point, and
    where the areas of use of two datum transformations meet (ED50's in northern Italy) the positions it gives
    jump a metre or two, which the edges cannot follow. The first of PROJ's operations for the polygon's extent
    whose area of use holds all of it (a wider, less local one), None when there is none."""
    xy = np.concatenate(rings)
    lon, lat = pyproj.Transformer.from_crs(src, "EPSG:4326", always_xy=True).transform(xy[:, 0], xy[:, 1])
    lon, lat = np.asarray(lon), np.asarray(lat)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return None
    west, south, east, north = float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
    group = TransformerGroup(src, dst, always_xy=True, area_of_interest=AreaOfInterest(west, south, east, north))
    for candidate in group.transformers:
        area = candidate.area_of_use
        if area is None or (area.south <= south and north <= area.north and _holds_longitudes(area, west, east)):
            return candidate
    return None


def _holds_longitudes(area, west: float, east: float) -> bool:
    """Whether an area of use holds the longitudes from ``west`` to ``east`` (in [-180, 180], west <= east); an
    area whose west bound is east of its east bound runs across the antimeridian (Pulkovo 1942's, 19.57 E to
    168.97 W)."""
    if area.west <= area.east:
        return area.west <= west and east <= area.east
    return west >= area.west or east <= area.east


def _refuse_a_moved_pole(rings: list[np.ndarray], src: pyproj.CRS, dst: pyproj.CRS, transformer) -> None:
    """``GeometryError`` for a lon/lat polygon that reaches a pole which another datum moves off its pole: the
    edges drawn along the source's pole then bound no ground in the target, and a cap came out as a sliver
    (2,384 km² for 3.9 million)."""
    quarter = 0.5 * math.pi / angular_unit_factor(src)
    if not any(len(xy) and float(np.abs(xy[:, 1]).max()) >= quarter * (1.0 - 1e-12) for xy in rings):
        return
    _, latitudes = transformer.transform([0.0, 0.0], [quarter, -quarter])
    if all(abs(latitude) >= 0.5 * math.pi / angular_unit_factor(dst) * (1.0 - 1e-12) for latitude in latitudes):
        return  # the poles stay poles (a change of unit or prime meridian only)
    raise GeometryError(
        f"polygon: it reaches a pole, which the change from '{src.name}' to the raster's '{dst.name}' moves; "
        f"draw it in '{dst.name}', or stop it short of the pole"
    )


def _reprojected_rings(
    rings: list[np.ndarray],
    signs: np.ndarray,
    transformer: pyproj.Transformer,
    turn: float | None,
    checkpoint: Callable[[], None] | None = None,
) -> list[np.ndarray]:
    """The rings (+1 shells, -1 holes in ``signs``) in the target CRS, each edge cut until the image of every
    piece lies within ``CHORD_TOLERANCE`` of the polygon's mean width of its chord (at a quarter, half and three
    quarters along), so the straight-edged polygon the raster grid sees is the one drawn, to ~1e-8 of its area.
    The number of pieces comes from the deviation (it falls as the square of the piece length), then is
    checked; all rings go through PROJ together, and only edges cut in the last round are checked again.
    ``turn``: longitude differences in a geographic target are taken the short way round. ``checkpoint`` is
    called between blocks of ``_CHECKED_EDGES`` edges (to stop by raising)."""

    def project(xy: np.ndarray) -> np.ndarray:
        out = np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        if not np.isfinite(out).all():
            raise GeometryError("polygon: it cannot be transformed to the raster CRS (outside its area of use?)")
        return out

    def wrapped(d: np.ndarray) -> np.ndarray:
        if turn is not None:
            d[..., 0] = (d[..., 0] + 0.5 * turn) % turn - 0.5 * turn
        return d

    src = np.concatenate(rings)
    ring_of = np.repeat(np.arange(len(rings)), [len(xy) for xy in rings])
    dst = project(src)
    edge = ring_of[:-1] == ring_of[1:]  # segment i joins vertices i and i + 1 of one ring
    check = edge.copy()

    def deviations(idx: np.ndarray, tolerance: float) -> np.ndarray:
        """How far the images of the edges ``idx`` stray from their chords (inf where the map tears)."""
        samples = src[idx, None, :] + (src[idx + 1] - src[idx])[:, None, :] * _CHORD_SAMPLES[None, :, None]
        image = wrapped(project(samples.reshape(-1, 2)).reshape(samples.shape) - dst[idx, None, :])
        chord = wrapped(dst[idx + 1] - dst[idx])[:, None, :]
        length2 = np.sum(chord * chord, axis=2)
        along = np.sum(image * chord, axis=2) / np.maximum(length2, 1e-300)
        off = image - np.clip(along, 0.0, 1.0)[..., None] * chord
        deviation = np.hypot(off[..., 0], off[..., 1]).max(axis=1)
        # An image far from its share of the way along (a tear, where the map jumps): cut as finely as allowed.
        torn = (np.abs(along - _CHORD_SAMPLES).max(axis=1) > 0.2) & (length2[:, 0] > tolerance * tolerance)
        deviation[torn] = np.inf
        return deviation

    for _ in range(_MAX_ROUNDS):
        idx = np.flatnonzero(check)
        if idx.size == 0:
            break
        tolerance = _chord_tolerance(wrapped(np.diff(dst, axis=0)), dst, edge, ring_of, signs)
        deviation = _in_blocks(idx, functools.partial(deviations, tolerance=tolerance), checkpoint)
        pieces = np.ones(len(src) - 1, dtype=np.intp)
        split = deviation > tolerance
        if not split.any():
            break
        pieces[idx[split]] = np.ceil(np.clip(np.sqrt(deviation[split] / tolerance), 2, _MAX_SPLIT))
        if len(src) + int(pieces.sum()) - pieces.size > MAX_TRANSFORMED_VERTICES:
            raise GeometryError(_UNFAITHFUL)
        src, old, parent = split_segments(src, pieces)
        dense = np.empty_like(src)
        dense[old] = dst
        dense[~old] = project(src[~old])
        dst, ring_of = dense, np.append(ring_of[:-1][parent], ring_of[-1])
        edge, check = edge[parent], pieces[parent] > 1
    else:
        raise GeometryError(_UNFAITHFUL)
    starts = np.searchsorted(ring_of, np.arange(len(rings)))
    return [dst[a:b] for a, b in zip(starts, np.append(starts[1:], len(dst)))]


def _in_blocks(
    idx: np.ndarray, measure: Callable[[np.ndarray], np.ndarray], checkpoint: Callable[[], None] | None
) -> np.ndarray:
    """``measure(idx)`` in blocks of ``_CHECKED_EDGES``, with ``checkpoint`` called before each."""
    parts = []
    for start in range(0, idx.size, _CHECKED_EDGES):
        if checkpoint is not None:
            checkpoint()
        parts.append(measure(idx[start : start + _CHECKED_EDGES]))
    return np.concatenate(parts)


_UNFAITHFUL = (
    "polygon: its edges cannot be followed in the raster CRS (more than "
    f"{MAX_TRANSFORMED_VERTICES:,} vertices, or the projection tears along them: does it cross the edge of "
    "the raster CRS's map?)"
)


def _chord_tolerance(
    delta: np.ndarray, dst: np.ndarray, edge: np.ndarray, ring_of: np.ndarray, signs: np.ndarray
) -> float:
    """``CHORD_TOLERANCE`` times the mean width 2A/P of the rings as they stand (area and perimeter from the
    segment vectors, so a geographic target's wrapped longitudes count the short way), and at least what
    rounding leaves of the coordinates."""
    delta = delta[edge]
    x = np.cumsum(delta[:, 0]) - 0.5 * delta[:, 0]  # segment midpoints, each ring from an arbitrary origin
    owner = ring_of[:-1][edge]
    area = float(signs @ np.abs(np.bincount(owner, weights=x * delta[:, 1], minlength=signs.size)))
    perimeter = float(np.hypot(delta[:, 0], delta[:, 1]).sum())
    floor = 1e-13 * float(np.abs(dst).max())
    return max(CHORD_TOLERANCE * 2.0 * area / perimeter, floor) if perimeter > 0 else floor


def _unwrapped(xy: np.ndarray, turn: float, pole: Callable[[], float | None]) -> np.ndarray:
    """A ring's longitudes made continuous (no step over half a turn), when the ring still closes so. A ring
    that goes once round a pole (drawn in a polar projection; ``pole()`` its latitude, or None) is closed through
    it, so that in longitude and latitude it holds the cap it holds on the ground; one round no pole is left as
    it is."""
    lon = np.unwrap(xy[:, 0], period=turn)
    if abs(lon[-1] - lon[0]) <= 1e-9 * turn:
        return np.column_stack([lon, xy[:, 1]])
    if abs(abs(lon[-1] - lon[0]) - turn) > 1e-9 * turn:
        return xy
    pole_lat = pole()
    if pole_lat is None:
        return xy
    closing = [[lon[-1], pole_lat], [lon[0], pole_lat], [lon[0], xy[0, 1]]]
    return np.vstack([np.column_stack([lon, xy[:, 1]]), closing])


def _pole_around(ring: np.ndarray, src: pyproj.CRS, dst: pyproj.CRS) -> float | None:
    """The latitude (in the geographic ``dst`` CRS's units) of the pole that a ring drawn in the projected ``src``
    CRS goes round, if any: the one whose point on ``src``'s map lies inside it. None for a geographic ``src``:
    a ring there reaches a pole only along the edge of its longitude range, never round it."""
    if src.is_geographic or len(ring) < 4:
        return None
    to_src = _transformer(dst.to_wkt(), src.to_wkt())
    shape = Polygon(ring)
    quarter = 0.5 * math.pi / angular_unit_factor(dst)
    for lat in (quarter, -quarter):
        with np.errstate(invalid="ignore"):
            x, y = to_src.transform(0.0, lat)
        if math.isfinite(x) and math.isfinite(y) and shape.contains(Point(x, y)):
            return lat
    return None


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
