"""Print-layout report builder and CSV/GeoPackage exports."""
