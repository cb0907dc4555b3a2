"""A report never writes over a file it reads: the areas' GeoPackage given as its GeoPackage output was replaced
whole, with every other layer in it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import processing
import pytest
from qgis.core import QgsProcessingException


def _layers(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return sorted(row[0] for row in db.execute("SELECT table_name FROM gpkg_contents"))


def test_the_areas_geopackage_as_the_output_is_refused_and_kept(
    rare_earth_provider, make_raster, make_polygons, grid, tmp_path
) -> None:
    areas = make_polygons([(grid.box(1, 1, 5, 4), "block")])
    gpkg = Path(areas.split("|")[0])
    with sqlite3.connect(gpkg) as db:  # a second layer in the same file, which a replaced file would lose
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) VALUES ('notes', 'attributes', 'n')")
    before = _layers(gpkg)
    parameters = {
        "INPUT": areas,
        "GRADE": make_raster(np.full((10, 10), 0.2)),
        "THICKNESS": 1,
        "OUTPUT_PDF": str(tmp_path / "r.pdf"),
        "OUTPUT_GPKG": str(gpkg),
    }
    with pytest.raises(QgsProcessingException, match=r"GeoPackage file: .* is the file of the layer .*choose another"):
        processing.run("rareearth:exportreport", parameters)
    assert _layers(gpkg) == before == ["notes", "zones"]
    assert not (tmp_path / "r.pdf").exists()
