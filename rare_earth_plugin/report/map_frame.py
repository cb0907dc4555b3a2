"""What a report map shows and in which CRS: true to scale in metres, whatever CRS the areas come in.

Areas in degrees (a GPS block in EPSG:4326) or in a CRS that stretches the ground where they lie (Web Mercator
at 50° N draws 1 km as 1.56 km) are drawn in the local UTM zone, or polar stereographic near the poles; a CRS
that is true to scale there (UTM, a conic fitted to the region) is kept. Padding, scale bar units and grid
steps are then ground distances, right from a 1 ha block to a region.
"""

from __future__ import annotations

import math

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsDistanceArea,
    QgsPointXY,
    QgsProject,
    QgsRectangle,
    QgsUnitTypes,
)

from ..qgis_compat import KILOMETERS, METERS, null_rectangle

WGS84 = QgsCoordinateReferenceSystem("EPSG:4326")
ELLIPSOID = "EPSG:7030"  # WGS 84: scale bars and checks measure on it
#: Largest scale error (either axis) at the areas' centre for which their own CRS is kept for the map.
SCALE_TOLERANCE = 0.02
#: UTM stops at 84° N and 80° S; beyond, the polar stereographic CRSs (NSIDC north, Antarctic south).
POLAR_NORTH, POLAR_SOUTH = "EPSG:3413", "EPSG:3031"
#: The smallest ground span (m) a map is padded for, so a 1 ha block still shows its surroundings.
MIN_SPAN_M = 500.0


def local_crs(centre_lonlat: QgsPointXY) -> QgsCoordinateReferenceSystem:
    """WGS 84 / UTM zone of the point (the coordinates field crews read from GPS); polar stereographic beyond
    UTM's latitudes."""
    lat = centre_lonlat.y()
    if lat > 84.0:
        return QgsCoordinateReferenceSystem(POLAR_NORTH)
    if lat < -80.0:
        return QgsCoordinateReferenceSystem(POLAR_SOUTH)
    zone = min(60, max(1, int((centre_lonlat.x() + 180.0) // 6) + 1))
    return QgsCoordinateReferenceSystem(f"EPSG:{(32600 if lat >= 0 else 32700) + zone}")


def location_crs(centre_lonlat: QgsPointXY) -> QgsCoordinateReferenceSystem:
    """Lambert azimuthal equal-area centred on the point: a location map with the point in its middle and the
    land round it in shape, anywhere on Earth (by the poles and across the antimeridian too)."""
    return QgsCoordinateReferenceSystem.fromProj(
        f"+proj=laea +lat_0={centre_lonlat.y():.6f} +lon_0={centre_lonlat.x():.6f} +x_0=0 +y_0=0 "
        "+datum=WGS84 +units=m +no_defs"
    )


def metres_per_unit(crs: QgsCoordinateReferenceSystem) -> float:
    return QgsUnitTypes.fromUnitToUnitFactor(crs.mapUnits(), METERS)


def _ground(crs: QgsCoordinateReferenceSystem, project: QgsProject) -> QgsDistanceArea:
    measure = QgsDistanceArea()
    measure.setSourceCrs(crs, project.transformContext())
    measure.setEllipsoid(ELLIPSOID)
    return measure


def scale_error(crs: QgsCoordinateReferenceSystem, centre: QgsPointXY, project: QgsProject) -> float:
    """Largest |ground / drawn - 1| of a short east and north step at ``centre`` (in ``crs``)."""
    if crs.isGeographic():
        return math.inf
    measure = _ground(crs, project)
    step = 100.0 / metres_per_unit(crs)  # 100 m as drawn
    errors = []
    for dx, dy in ((step, 0.0), (0.0, step)):
        ground = measure.measureLine(centre, QgsPointXY(centre.x() + dx, centre.y() + dy))
        errors.append(abs(ground / 100.0 - 1.0))
    return max(errors)


def map_crs(crs: QgsCoordinateReferenceSystem, box: QgsRectangle, project: QgsProject) -> QgsCoordinateReferenceSystem:
    """The CRS to draw areas whose bounding box in ``crs`` is ``box``: ``crs`` itself if true to scale there,
    else the local UTM (or polar) CRS."""
    centre = box.center()
    try:
        if scale_error(crs, centre, project) <= SCALE_TOLERANCE:
            return crs
    except (ValueError, ZeroDivisionError):
        pass  # unknown units: reproject
    lonlat = QgsCoordinateTransform(crs, WGS84, project).transform(centre)
    return local_crs(lonlat)


def padded_extent(
    box: QgsRectangle, crs: QgsCoordinateReferenceSystem, margin: float, min_span_m: float = MIN_SPAN_M
) -> QgsRectangle:
    """``box`` (in ``crs``) grown on every side by ``margin`` × its larger side, the side taken as at least
    ``min_span_m`` of ground."""
    floor = min_span_m / metres_per_unit(crs)
    grow = max(box.width(), box.height(), floor) * margin
    return QgsRectangle(box.xMinimum() - grow, box.yMinimum() - grow, box.xMaximum() + grow, box.yMaximum() + grow)


def combined_box(
    boxes: list[tuple[QgsRectangle, QgsCoordinateReferenceSystem]],
    crs: QgsCoordinateReferenceSystem,
    project: QgsProject,
) -> QgsRectangle:
    """The union of ``boxes`` (each in its own CRS) in ``crs``."""
    extent = null_rectangle()
    for box, box_crs in boxes:
        if box_crs != crs:
            box = QgsCoordinateTransform(box_crs, crs, project).transformBoundingBox(box)
        extent.combineExtentWith(box)
    return extent


def scalebar_unit(ground_width_m: float) -> tuple[QgsUnitTypes.DistanceUnit, str]:
    """Metres for maps narrower than 5 km, kilometres above: segments read as 100 m, not 0.1 km."""
    if ground_width_m < 5_000.0:
        return METERS, "m"
    return KILOMETERS, "km"


def nice_step(span: float, lines: int = 5) -> float:
    """1, 2 or 5 times a power of ten, giving about ``lines`` grid lines across ``span``."""
    raw = span / lines
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def clear_of_corner(extent: QgsRectangle, box: QgsRectangle, corner_w: float, corner_h: float) -> QgsRectangle:
    """``extent`` moved (same scale) or else grown about its top right corner (same shape), so that ``box``
    stays inside it and clear of its lower left corner, ``corner_w`` × ``corner_h`` of it (fractions), where a
    legend sits on the map."""
    width, height = extent.width(), extent.height()
    corner_x, corner_y = extent.xMinimum() + corner_w * width, extent.yMinimum() + corner_h * height
    if box.xMinimum() >= corner_x or box.yMinimum() >= corner_y:
        return extent
    moves = []
    dx, dy = corner_x - box.xMinimum(), corner_y - box.yMinimum()
    if box.xMaximum() <= extent.xMaximum() - dx:  # room on the right: the box moves right of the corner
        moves.append((dx, dx, 0.0))
    if box.yMaximum() <= extent.yMaximum() - dy:  # room above: the box moves up
        moves.append((dy, 0.0, dy))
    if moves:
        _, shift_x, shift_y = min(moves)
        return QgsRectangle(
            extent.xMinimum() - shift_x,
            extent.yMinimum() - shift_y,
            extent.xMaximum() - shift_x,
            extent.yMaximum() - shift_y,
        )
    right, top = max(extent.xMaximum(), box.xMaximum()), max(extent.yMaximum(), box.yMaximum())
    grow_x = (right - box.xMinimum()) / (width * (1.0 - corner_w))  # the box just right of the corner
    grow_y = (top - box.yMinimum()) / (height * (1.0 - corner_h))  # or just above it
    grow = max(1.0, min(grow_x, grow_y))
    return QgsRectangle(right - grow * width, top - grow * height, right, top)
