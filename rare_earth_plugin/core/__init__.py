"""Pure-Python core (no QGIS import): tonnage engine, exact coverage, units and the zone catalogue."""
