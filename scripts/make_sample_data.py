"""Generate the synthetic, calibrated sample data of Rare Earth Explorer.

No coordinates of Kuirektykol are published, so the geometry is illustrative (near 50.0 N, 76.4 E, about
100 km north-east of Karkaraly) and the grade and thickness fields are invented. What is not invented is the
size of things: the licence area, the zone areas and the contained TREO of Irgiz and of the Jana Kazakhstan
cluster match the figures reported on 2 April 2025, so what users see in the plugin is plausible.

Every run re-creates the same values (seeded RNG, no timestamps in values). Run with the Debian interpreter:

    /usr/bin/python3 scripts/make_sample_data.py [--out sample_data]
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from osgeo import gdal, ogr, osr
from pyproj import Transformer
from rasterio.transform import Affine
from shapely import wkb
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import transform as transform_geometry
from shapely.ops import unary_union
from shapely.prepared import prep

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from rare_earth_plugin.core import catalogue  # noqa: E402
from rare_earth_plugin.core.coverage import coverage_fractions  # noqa: E402
from rare_earth_plugin.core.geometry import densify_coords, map_polygon_coords  # noqa: E402
from rare_earth_plugin.core.units import DEFAULT_DENSITY  # noqa: E402

gdal.UseExceptions()
ogr.UseExceptions()

SEED = 20250402
CELL = 50.0
NODATA = -9999.0
MARGIN = 3000.0
#: GeoPackage timestamps are pinned (OGR_CURRENT_DATE): re-running the generator leaves the files unchanged.
FIXED_DATE = "2025-04-02T00:00:00Z"

WORLD_MAP = Path("/usr/share/qgis/resources/data/world_map.gpkg")
REGION_NAME = "Qaraghandy"

# Targets from the Ministry of Industry and Construction statement of 2 April 2025 (as reported).
LICENCE_AREA_KM2 = 64.2
CLUSTER_AREA_KM2 = 138.0
IRGIZ_CUTOFF_PCT = 0.10
IRGIZ_TARGET_T = 0.8e6
CLUSTER_TARGET_T = 20.0e6

BACKGROUND_PCT = 0.02
CLUSTER_PCT = 0.07
MAX_THICKNESS_M = 300.0

#: Licence blocks as (minute of latitude north of 49 deg 58', first and last minute of longitude east of
#: 76 deg 20'): 29 whole 1' x 1' blocks, as Kazakh exploration licences are made.
LICENCE_ORIGIN = (76.0 + 20.0 / 60.0, 49.0 + 58.0 / 60.0)
LICENCE_ROWS = ((5, 2, 5), (4, 1, 6), (3, 0, 6), (2, 0, 5), (1, 0, 3), (0, 1, 2))

SYNTHETIC_NOTE = (
    "Synthetic sample data for Rare Earth Explorer: positions illustrative, values invented "
    "and calibrated to public figures (Ministry of Industry and Construction, 2 April 2025)."
)

_TO_UTM = Transformer.from_crs("EPSG:4326", catalogue.SAMPLE_CRS, always_xy=True)


@dataclass(frozen=True)
class Blob:
    """An irregular, natural-looking polygon: a star-shaped outline with seeded low harmonics."""

    name: str
    centre: tuple[float, float]  # offset from the licence centroid, metres
    area_km2: float
    elongation: float
    azimuth_deg: float
    roughness: float = 0.12


PROSPECTIVE = (
    Blob("Irgiz", (-1500.0, -1200.0), 1.5, 1.6, 35.0),
    Blob("Dos 1", (1700.0, 2200.0), 1.1, 1.4, 120.0),
    Blob("Dos 2", (1600.0, -600.0), 1.3, 1.7, 10.0),
    Blob("Dos 3", (-500.0, 2300.0), 0.9, 1.3, 70.0),
)
CLUSTER = Blob("Jana Kazakhstan", (-2300.0, -2200.0), CLUSTER_AREA_KM2, 1.45, 30.0, roughness=0.10)
LAKE = Blob("lake", (-9000.0, 5200.0), 0.35, 1.5, 100.0, roughness=0.10)

#: Hot-spot peak grade (%) of each prospective zone: only Irgiz and Dos 2 carry the reported 0.2-0.25 %.
PEAK_PCT = {"Irgiz": 0.235, "Dos 1": 0.12, "Dos 2": 0.225, "Dos 3": 0.11}


# --- geometry -------------------------------------------------------------------------------------------


def densified(geometry, step: float):
    """Edges no longer than ``step``: straight lines in degrees are curves in UTM."""
    return map_polygon_coords(geometry, lambda xy: densify_coords(xy, step))


def as_multi(geometry) -> MultiPolygon:
    return geometry if isinstance(geometry, MultiPolygon) else MultiPolygon([geometry])


def to_utm(geometry):
    return transform_geometry(_TO_UTM.transform, geometry)


def licence_polygon() -> Polygon:
    lon0, lat0 = LICENCE_ORIGIN
    minute = 1.0 / 60.0
    blocks = [
        box(lon0 + c * minute, lat0 + row * minute, lon0 + (c + 1) * minute, lat0 + (row + 1) * minute)
        for row, first, last in LICENCE_ROWS
        for c in range(first, last + 1)
    ]
    merged = unary_union(blocks)
    return to_utm(densified(merged, minute / 12.0))


def blob_polygon(spec: Blob, origin: tuple[float, float], rng: np.random.Generator) -> Polygon:
    """Star-shaped outline r(theta) with harmonics 2-6, stretched, rotated and scaled to the exact area."""
    theta = np.linspace(0.0, 2.0 * math.pi, 180, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 7):
        amplitude = spec.roughness / (k - 1) * rng.standard_normal()
        radius += amplitude * np.cos(k * theta + rng.uniform(0.0, 2.0 * math.pi))
    x = radius * np.cos(theta) * spec.elongation
    y = radius * np.sin(theta)
    az = math.radians(90.0 - spec.azimuth_deg)  # azimuth of the long axis, clockwise from north
    xr = x * math.cos(az) - y * math.sin(az)
    yr = x * math.sin(az) + y * math.cos(az)
    unit = Polygon(zip(xr, yr))
    if not unit.is_valid:
        raise RuntimeError(f"outline of {spec.name} self-intersects: lower its roughness")
    scale = math.sqrt(spec.area_km2 * 1e6 / unit.area)
    cx, cy = origin[0] + spec.centre[0], origin[1] + spec.centre[1]
    return Polygon(zip(cx + xr * scale, cy + yr * scale))


# --- grid -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    transform: Affine
    width: int
    height: int

    @classmethod
    def around(cls, geometry, margin: float) -> Grid:
        minx, miny, maxx, maxy = geometry.bounds
        x0 = math.floor((minx - margin) / CELL) * CELL
        y1 = math.ceil((maxy + margin) / CELL) * CELL
        width = math.ceil((maxx + margin - x0) / CELL)
        height = math.ceil((y1 - (miny - margin)) / CELL)
        return cls(Affine(CELL, 0.0, x0, 0.0, -CELL, y1), width, height)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        cols = self.transform.c + (np.arange(self.width) + 0.5) * CELL
        rows = self.transform.f - (np.arange(self.height) + 0.5) * CELL
        return np.meshgrid(cols, rows)

    def coverage(self, polygon) -> np.ndarray:
        """Exact fraction of each cell's area inside ``polygon`` (the plugin's own coverage engine)."""
        return coverage_fractions(
            polygon,
            (self.height, self.width),
            lambda x, y: ((x - self.transform.c) / CELL, (self.transform.f - y) / CELL),
        )

    def inside_centres(self, polygon) -> np.ndarray:
        xs, ys = self.centres()
        prepared = prep(polygon)
        flat = [prepared.contains(Point(x, y)) for x, y in zip(xs.ravel(), ys.ravel())]
        return np.array(flat, dtype=bool).reshape(xs.shape)


def gaussian_blur(values: np.ndarray, sigma_m: float) -> np.ndarray:
    """Separable Gaussian blur as two matrix products; edge-normalised so a constant field stays constant."""

    def kernel(n: int) -> np.ndarray:
        idx = np.arange(n)
        k = np.exp(-0.5 * ((idx[:, None] - idx[None, :]) * CELL / sigma_m) ** 2)
        return k / k.sum(axis=1, keepdims=True)

    return kernel(values.shape[0]) @ values @ kernel(values.shape[1]).T


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma_m: float) -> np.ndarray:
    """Spatially correlated noise with zero mean and unit standard deviation."""
    field = gaussian_blur(rng.standard_normal(shape), sigma_m)
    return (field - field.mean()) / field.std()


# --- fields and calibration -----------------------------------------------------------------------------


def grade_field(grid: Grid, cover: dict[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """TREO %: a 0.02 % background, a soft-edged 0.07 % cluster and hot spots shaped like the zones."""
    cluster = gaussian_blur(cover[CLUSTER.name], 300.0)
    grade = BACKGROUND_PCT + (CLUSTER_PCT - BACKGROUND_PCT) * cluster
    grade *= 1.0 + 0.08 * smooth_noise(rng, grade.shape, 600.0)
    xs, ys = grid.centres()
    for spec in PROSPECTIVE:
        halo = gaussian_blur(cover[spec.name], 90.0)
        weights = cover[spec.name]
        cx, cy = (np.sum(a * weights) / weights.sum() for a in (xs, ys))
        radius = math.sqrt(spec.area_km2 * 1e6 / math.pi)
        core = 0.75 + 0.25 * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / radius**2)
        bump = halo * core
        peak = np.unravel_index(np.argmax(bump), bump.shape)
        grade += (PEAK_PCT[spec.name] - grade[peak]) / bump[peak] * bump
    grade += 0.0015 * rng.standard_normal(grade.shape) * (0.3 + cluster)
    return np.clip(grade, 0.005, None)


def thickness_shape(cover: dict[str, np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Unscaled thickness inside the cluster (fading out beyond it) and the Irgiz thickening weight."""
    inside = gaussian_blur(cover[CLUSTER.name], 250.0)
    base = inside * np.clip(1.0 + 0.35 * smooth_noise(rng, inside.shape, 1200.0), 0.3, None)
    base = np.where(inside > 0.02, base, 0.0)
    return base, gaussian_blur(cover["Irgiz"], 250.0)


def contained(grade: np.ndarray, thickness: np.ndarray, cover: np.ndarray, cutoff: float, density: float) -> float:
    """Contained TREO, t: covered area x thickness x density x grade, over cells at or above the cut-off."""
    use = cover * (grade >= cutoff)
    return float(np.sum(use * CELL * CELL * thickness * density * grade / 100.0))


def calibrate(
    grade: np.ndarray, base: np.ndarray, irgiz_weight: np.ndarray, cover: dict[str, np.ndarray]
) -> np.ndarray:
    """Thickness = a * base + b * base * irgiz_weight, with (a, b) solving both targets exactly."""
    targets = [(cover["Irgiz"], IRGIZ_CUTOFF_PCT, IRGIZ_TARGET_T), (cover[CLUSTER.name], 0.0, CLUSTER_TARGET_T)]
    matrix = [
        [contained(grade, f, c, cut, DEFAULT_DENSITY) for f in (base, base * irgiz_weight)] for c, cut, _ in targets
    ]
    a, b = np.linalg.solve(np.array(matrix), np.array([t for *_, t in targets]))
    thickness = base * (a + b * irgiz_weight)
    if thickness.min() < 0.0 or thickness.max() > MAX_THICKNESS_M:
        raise RuntimeError(
            f"calibrated thickness {thickness.min():.1f}-{thickness.max():.1f} m is outside "
            f"0-{MAX_THICKNESS_M:.0f} m: adjust the zone shapes or the thickness field"
        )
    return thickness


# --- writers --------------------------------------------------------------------------------------------


def write_zones(path: Path, zones: list[tuple[catalogue.ZoneInfo, Polygon]]) -> None:
    fields = {"name": 40, "kind": 24, "status": 16, "note": 254}
    rows = [
        (polygon, {"name": info.name, "kind": info.kind, "status": catalogue.STATUS_SYNTHETIC, "note": info.note})
        for info, polygon in zones
    ]
    write_layer(
        path,
        catalogue.ZONES_LAYER,
        ogr.wkbPolygon,
        fields,
        rows,
        DESCRIPTION=SYNTHETIC_NOTE,
        IDENTIFIER="Qaraganda rare-earth zones (synthetic)",
    )


def write_layer(
    path: Path,
    layer_name: str,
    geometry_type: int,
    fields: dict[str, int],
    rows: list[tuple[BaseGeometry, dict[str, str]]],
    **options: str,
) -> None:
    """A one-layer GeoPackage in the sample CRS with string fields of the given widths, written by OGR
    (which ships with GDAL everywhere) with a fixed timestamp, so every run writes the same bytes."""
    if path.exists():
        path.unlink()
    srs = osr.SpatialReference()
    srs.SetFromUserInput(catalogue.SAMPLE_CRS)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    gdal.SetConfigOption("OGR_CURRENT_DATE", FIXED_DATE)
    try:
        dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
        layer = dataset.CreateLayer(
            layer_name, srs, geometry_type, [f"{key}={value}" for key, value in options.items()]
        )
        for name, width in fields.items():
            definition = ogr.FieldDefn(name, ogr.OFTString)
            definition.SetWidth(width)
            layer.CreateField(definition)
        for geometry, values in rows:  # one transaction per feature, as the files were first written
            dataset.StartTransaction()
            feature = ogr.Feature(layer.GetLayerDefn())
            feature.SetGeometry(ogr.CreateGeometryFromWkb(geometry.wkb))
            for name, value in values.items():
                feature.SetField(name, value)
            layer.CreateFeature(feature)
            dataset.CommitTransaction()
        dataset = None  # closes the file
    finally:
        gdal.SetConfigOption("OGR_CURRENT_DATE", None)


def read_region() -> tuple[MultiPolygon, str]:
    """The Qaraghandy outline in UTM 43N and its GeoNames name, read before anything is written."""
    if not WORLD_MAP.is_file():
        raise SystemExit(
            f"{WORLD_MAP} not found: install the Debian package qgis (it ships Natural Earth "
            "admin-1 boundaries) to build the Qaraghandy region layer."
        )
    dataset = ogr.Open(str(WORLD_MAP))
    found = [
        (wkb.loads(bytes(f.GetGeometryRef().ExportToIsoWkb())), f.GetField("gn_name"))
        for f in dataset.GetLayerByName("states_provinces")
        if f.GetField("name") == REGION_NAME and f.GetField("admin") == "Kazakhstan"
    ]
    dataset = None
    if len(found) != 1:
        raise SystemExit(f"expected one feature named {REGION_NAME!r} in {WORLD_MAP}, found {len(found)}")
    geographic, gn_name = found[0]
    # Edges are densified to 0.05 deg (about 4-5 km) before projecting; the outline is kept whole.
    return as_multi(to_utm(densified(geographic, 0.05))), gn_name


def write_region(path: Path, region: MultiPolygon, gn_name: str) -> None:
    fields = {"name": 40, "gn_name": 72, "source": 254, "licence": 80}
    values = {
        "name": REGION_NAME,
        "gn_name": gn_name,
        "source": "Natural Earth 1:10m Admin 1 v4.1.0, via QGIS resources/data/world_map.gpkg (generalised by QGIS)",
        "licence": "Public domain (Natural Earth)",
    }
    write_layer(
        path,
        catalogue.REGION_LAYER,
        ogr.wkbMultiPolygon,
        fields,
        [(region, values)],
        DESCRIPTION="Qaraghandy (Karaganda) region, Natural Earth admin-1 v4.1.0 as shipped with QGIS "
        "(world_map.gpkg); boundary before the 2022 split-off of Ulytau. Public domain.",
        IDENTIFIER="Qaraghandy region (Natural Earth)",
    )


def write_raster(path: Path, grid: Grid, values: np.ndarray, description: str, units: str) -> None:
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "float32",
        "crs": catalogue.SAMPLE_CRS,
        "transform": grid.transform,
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)
        dst.update_tags(
            TIFFTAG_IMAGEDESCRIPTION=f"{description}. {SYNTHETIC_NOTE}",
            TIFFTAG_SOFTWARE="Rare Earth Explorer scripts/make_sample_data.py",
            SOURCE="synthetic, calibrated to Ministry of Industry and Construction figures of "
            "2 April 2025 (as reported)",
            STATUS=catalogue.STATUS_SYNTHETIC,
            UNITS=units,
        )
        dst.set_band_description(1, description)
        dst.units = (units,)


def ship_statistics(path: Path) -> None:
    """Exact band statistics in a shipped ``.aux.xml``: without it QGIS computes them on first use and writes
    that file into the installed plugin, and nothing we ship may be written."""
    from osgeo import gdal

    dataset = gdal.Open(str(path))  # read-only: GDAL keeps the statistics in the .aux.xml
    dataset.GetRasterBand(1).ComputeStatistics(False)
    dataset = None


# --- driver ---------------------------------------------------------------------------------------------


def build(out: Path) -> dict[str, float]:
    region, gn_name = read_region()
    rng = np.random.default_rng(SEED)
    licence = licence_polygon()
    origin = (licence.centroid.x, licence.centroid.y)
    zones = {spec.name: blob_polygon(spec, origin, rng) for spec in (*PROSPECTIVE, CLUSTER)}
    lake = blob_polygon(LAKE, origin, rng)
    zones[catalogue.SAMPLE_ZONES[0].name] = licence
    check_layout(licence, zones, lake)
    if not region.contains(zones[CLUSTER.name]):
        raise RuntimeError("the cluster must lie inside the Qaraghandy region")

    grid = Grid.around(zones[CLUSTER.name], MARGIN)
    cover = {spec.name: grid.coverage(zones[spec.name]) for spec in (*PROSPECTIVE, CLUSTER)}
    grade = grade_field(grid, cover, rng)
    base, irgiz_weight = thickness_shape(cover, rng)
    thickness = calibrate(grade, base, irgiz_weight, cover)

    grade32, thick32 = grade.astype(np.float32), thickness.astype(np.float32)
    achieved = {
        "irgiz_t": contained(grade32, thick32, cover["Irgiz"], IRGIZ_CUTOFF_PCT, DEFAULT_DENSITY),
        "cluster_t": contained(grade32, thick32, cover[CLUSTER.name], 0.0, DEFAULT_DENSITY),
        "licence_km2": licence.area / 1e6,
        "licence_in_cluster": licence.intersection(zones[CLUSTER.name]).area / licence.area,
        "lake_km2": lake.area / 1e6,
    }
    for spec in (*PROSPECTIVE, CLUSTER):
        achieved[f"{spec.name} km2"] = zones[spec.name].area / 1e6
        achieved[f"{spec.name} max %"] = float(grade32[cover[spec.name] > 0].max())

    water = grid.inside_centres(lake)
    grade32[water] = NODATA
    thick32[water] = NODATA

    out.mkdir(parents=True, exist_ok=True)
    # Stale GDAL/QGIS side-car statistics (.aux.xml) would describe the old values, so they go too.
    for name in (catalogue.ZONES_FILE, catalogue.REGION_FILE, catalogue.GRADE_FILE, catalogue.THICKNESS_FILE):
        for stale in (out / name, out / f"{name}.aux.xml"):
            stale.unlink(missing_ok=True)
    write_zones(out / catalogue.ZONES_FILE, [(info, zones[info.name]) for info in catalogue.SAMPLE_ZONES])
    write_region(out / catalogue.REGION_FILE, region, gn_name)
    write_raster(out / catalogue.GRADE_FILE, grid, grade32, "TREO grade, percent", "%")
    write_raster(out / catalogue.THICKNESS_FILE, grid, thick32, "Mineralised thickness, metres", "m")
    for name in (catalogue.GRADE_FILE, catalogue.THICKNESS_FILE):
        ship_statistics(out / name)
    achieved["thickness_max_m"] = float(thickness.max())
    for name, key in ((CLUSTER.name, "cluster_thickness_m"), ("Irgiz", "irgiz_thickness_m")):
        achieved[key] = float(np.sum(cover[name] * thickness) / cover[name].sum())
    achieved["grid"] = f"{grid.width} x {grid.height} cells of {CELL:.0f} m"
    (out / "README.md").write_text(readme(achieved), encoding="utf-8")
    return achieved


def check_layout(licence: Polygon, zones: dict[str, Polygon], lake: Polygon) -> None:
    """Refuse a layout that would contradict the reported geography."""
    inner = licence.buffer(-100.0)
    names = [spec.name for spec in PROSPECTIVE]
    for i, name in enumerate(names):
        if not inner.contains(zones[name]):
            raise RuntimeError(f"prospective zone {name} must lie inside the licence")
        for other in names[i + 1 :]:
            if zones[name].distance(zones[other]) < 200.0:
                raise RuntimeError(f"prospective zones {name} and {other} overlap or touch")
    lminx, lminy, _, _ = licence.bounds
    cminx, cminy, _, _ = zones[CLUSTER.name].bounds
    if not (cminx < lminx - 1000.0 and cminy < lminy - 1000.0):
        raise RuntimeError("the cluster must extend south and west of the licence")
    if lake.distance(zones[CLUSTER.name]) < 500.0:
        raise RuntimeError("the lake (nodata) must stay clear of the zones")


def readme(a: dict[str, float]) -> str:
    zone_rows = "\n".join(
        f"| {spec.name} | {a[f'{spec.name} km2']:.2f} | {a[f'{spec.name} max %']:.3f} |"
        for spec in (*PROSPECTIVE, CLUSTER)
    )
    return f"""# Sample data (synthetic)

**Everything here is synthetic.** No coordinates of the Kuirektykol find are published: the positions are
illustrative, placed near 50.0 N, 76.4 E (about 100 km north-east of Karkaraly town, Karkaraly district,
Qaraganda region, Kazakhstan). Grade and thickness values are invented, then calibrated so that areas and
contained TREO match the public figures. Do not use them for any decision.

Every layer says so too: the GeoPackage layer description and the GeoTIFF tags `TIFFTAG_IMAGEDESCRIPTION`,
`SOURCE` and `STATUS=synthetic`; each zone has `status = synthetic`.

## Files (CRS EPSG:32643, WGS 84 / UTM 43N)

| File | Content |
|---|---|
| `{catalogue.ZONES_FILE}`, layer `{catalogue.ZONES_LAYER}` | Zones: fields `name`, `kind`, `status`, `note` |
| `{catalogue.GRADE_FILE}` | TREO grade, % (float32, nodata {NODATA:.0f}, {a["grid"]}) |
| `{catalogue.THICKNESS_FILE}` | Mineralised thickness, m, 0-300 (same grid) |
| `{catalogue.REGION_FILE}`, layer `{catalogue.REGION_LAYER}` | Qaraghandy region boundary (Natural Earth) |

Rasters are tiled (256 x 256) and DEFLATE-compressed (floating-point predictor). A small synthetic lake in the
north-west margin is nodata in both rasters, clear of all zones.

## Geometry

Zone kinds: {" / ".join(catalogue.ZONE_KINDS)}.

- Kuirektykol licence: a union of 29 whole 1' x 1' geographic blocks (built on the minute grid in EPSG:4326,
  densified, projected): **{a["licence_km2"]:.2f} km2** (reported 64.2 km2).
- Prospective zones Irgiz, Dos 1, Dos 2, Dos 3: irregular, inside the licence, not overlapping.
- Jana Kazakhstan prognostic cluster: covers {a["licence_in_cluster"] * 100:.0f} % of the licence and
  extends south and west of it.

| Zone | Area, km2 | Max TREO, % |
|---|---|---|
{zone_rows}

## Grade, thickness, density

- TREO grade: about {BACKGROUND_PCT} % in the background and {CLUSTER_PCT} % (700 g/t) inside the
  cluster, with soft edges and a little seeded noise; hot spots at Irgiz and Dos 2 reach 0.20-0.25 % (the
  reported single samples up to 0.25 %), weaker ones at Dos 1 and Dos 3.
- Units: 0.1 % = 1,000 ppm = 1,000 g/t.
- Mineralised thickness: 0 m outside the cluster, up to {a["thickness_max_m"]:.0f} m inside (mean \
{a["cluster_thickness_m"]:.0f} m),
  thicker under Irgiz (mean {a["irgiz_thickness_m"]:.0f} m; mineralisation reported open at depth); the public
  estimates are to 300 m depth.
- Bulk density **{DEFAULT_DENSITY:.2f} t/m3** for the Lower-Middle Devonian felsic-intermediate volcanic hosts
  (range 2.5-2.7 t/m3; rhyolite 2.4-2.6, andesite 2.5-2.8).

## Calibration

Contained TREO = covered area x thickness x density x grade, summed over cells with their exact fractional
coverage by the zone polygon:

| Figure | Target | Achieved |
|---|---|---|
| Irgiz, cut-off {IRGIZ_CUTOFF_PCT:.2f} % TREO | about 0.8 Mt | {a["irgiz_t"] / 1e6:.3f} Mt |
| Jana Kazakhstan cluster, no cut-off | about 20 Mt | {a["cluster_t"] / 1e6:.2f} Mt |

The official figures ("800,000 t of rare-earth metals" for Irgiz, "over 20 Mt" of REE for the cluster) do not
say whether they are oxide or metal. The sample data calibrates on **oxide (TREO)**; as metal (TREE) the same
data gives about 1/1.20 of these tonnages. They are GKZ-style prognostic estimates (an exploration target, not
a Mineral Resource).

## Sources and licences

- Figures: statement of the Ministry of Industry and Construction of Kazakhstan, 2 April 2025, as reported by
  Kazinform, The Astana Times, Kazpravda and Reuters.
- Region boundary: Natural Earth 1:10m Admin 1 v4.1.0 (public domain, naturalearthdata.com), read from the
  copy shipped with QGIS (`/usr/share/qgis/resources/data/world_map.gpkg`, layer `states_provinces`,
  feature "Qaraghandy", generalised by QGIS), kept whole and projected to UTM 43N. It shows the region before
  the 2022 split-off of Ulytau region.
- Everything else: synthetic, generated by `scripts/make_sample_data.py`, same licence as the plugin.

## Regenerate

    /usr/bin/python3 scripts/make_sample_data.py [--out sample_data]

The generator is seeded (seed {SEED}): every run writes the same values and this README.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "sample_data", help="output folder")
    args = parser.parse_args(argv)
    achieved = build(args.out)
    for key, value in achieved.items():
        print(f"{key:>28}: {value:,.4f}" if isinstance(value, float) else f"{key:>28}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
