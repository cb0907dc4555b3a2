"""Polygon parsing, repair, densification and reprojection."""

from __future__ import annotations

import math

import numpy as np
import pyproj
import pytest
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from rare_earth_plugin.core.geometry import (
    GeometryError,
    densify_coords,
    parse_polygon,
    transform_polygon,
)


def test_wkt_and_shapely_input_give_the_same_polygon():
    polygon = box(0, 0, 10, 5)
    parsed, warnings = parse_polygon(polygon.wkt)
    assert parsed.equals(polygon) and warnings == []
    assert parse_polygon(polygon)[0] is polygon


@pytest.mark.parametrize(
    "bad, words",
    [
        ("POLYGON ((0 0, 1 0", "WKT"),
        ("POLYGON EMPTY", "empty"),
        (LineString([(0, 0), (1, 1)]), "LineString"),
        (42, "int"),
    ],
)
def test_unusable_input_is_rejected_with_reason(bad, words):
    with pytest.raises(GeometryError, match=words):
        parse_polygon(bad)


def test_self_intersecting_bow_tie_is_repaired_with_a_warning():
    bow_tie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    repaired, warnings = parse_polygon(bow_tie)
    assert repaired.is_valid
    assert repaired.area == pytest.approx(2.0)  # two triangles of area 1, not the zero-area buffer(0) result
    assert len(warnings) == 1 and "repaired" in warnings[0] and "Self-intersection" in warnings[0]


def test_z_coordinates_are_dropped():
    parsed, _ = parse_polygon("POLYGON Z ((0 0 5, 4 0 5, 4 3 5, 0 0 5))")
    assert not parsed.has_z and parsed.area == pytest.approx(6.0)


def test_densify_coords_bounds_segment_length_and_keeps_vertices():
    xy = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 3.0], [0.0, 0.0]])
    dense = densify_coords(xy, 1.0)
    assert np.hypot(*np.diff(dense, axis=0).T).max() <= 1.0 + 1e-12
    for vertex in xy:
        assert (np.abs(dense - vertex).sum(axis=1) < 1e-12).any()
    assert Polygon(dense).area == pytest.approx(Polygon(xy).area)


def test_transform_round_trip_keeps_area_and_densifies():
    utm = pyproj.CRS.from_epsg(32643)
    wgs84 = pyproj.CRS.from_epsg(4326)
    polygon = MultiPolygon(
        [
            box(600_000, 5_530_000, 612_000, 5_541_000),
            Polygon([(620_000, 5_530_000), (630_000, 5_530_000), (625_000, 5_537_000)]),
        ]
    )
    there = transform_polygon(polygon, utm, wgs84)
    assert len(there.geoms[0].exterior.coords) > 100  # densified before transforming
    back = transform_polygon(there, wgs84, utm)
    assert back.area == pytest.approx(polygon.area, rel=1e-9)
    assert transform_polygon(polygon, utm, utm) is polygon


@pytest.mark.parametrize(
    ("epsg", "west", "south"),
    [
        (4721, 179.5, -17.5),  # Fiji 1956: another datum, its antimeridian ~0.004 degrees off WGS 84's
        (4807, 181.8, 48.0),  # NTF (Paris) in grads: its antimeridian is at 200 grads from Paris, ~182.34 E
    ],
)
def test_a_box_across_the_antimeridian_of_a_geographic_target_stays_one_box(epsg, west, south):
    """PROJ wraps the target's longitudes into half a turn either way; left so, the ring jumped a turn and held
    the strip round the rest of the world."""
    target = pyproj.CRS.from_epsg(epsg)
    drawn = box(west, south, west + 1.0, south + 1.0)
    moved = transform_polygon(drawn, pyproj.CRS.from_epsg(4326), target)
    assert isinstance(moved, Polygon)
    degrees = math.degrees(target.axis_info[0].unit_conversion_factor)
    geod = target.get_geod()
    # Expected: the densified box through PROJ alone, its longitudes taken east of the target's antimeridian.
    dense = densify_coords(np.asarray(drawn.exterior.coords), 0.001)
    lon, lat = pyproj.Transformer.from_crs("EPSG:4326", target, always_xy=True).transform(dense[:, 0], dense[:, 1])
    lon = np.mod(lon, 360.0 / degrees)
    expected = abs(geod.polygon_area_perimeter(lon * degrees, lat * degrees)[0])
    ring = densify_coords(np.asarray(moved.exterior.coords), 0.001) * degrees
    assert abs(geod.polygon_area_perimeter(ring[:, 0], ring[:, 1])[0]) == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("dst", ["EPSG:4721", "EPSG:4807"])
def test_a_lon_lat_cap_to_a_pole_that_another_datum_moves_is_refused_not_a_sliver(dst):
    """box(-180, 80, 180, 90) in WGS 84 over a Fiji 1956 raster came out as 2,384 km² instead of 3.9 million: the
    edges along WGS 84's pole bound no ground once the datum shift moves it off the raster's pole."""
    with pytest.raises(GeometryError, match="it reaches a pole, which the change from 'WGS 84' to the raster's"):
        transform_polygon(box(-180, 80, 180, 90), pyproj.CRS("EPSG:4326"), pyproj.CRS(dst))


@pytest.mark.parametrize("dst", ["OGC:CRS84", "EPSG:4258"])
def test_a_lon_lat_cap_keeps_its_pole_where_the_poles_stay(dst):
    moved = transform_polygon(box(-180, 80, 180, 90), pyproj.CRS("EPSG:4326"), pyproj.CRS(dst))
    assert moved.bounds == pytest.approx((-180.0, 80.0, 180.0, 90.0), abs=1e-9)
