#!/usr/bin/env bash
# Count mypy errors of the whole package against the .pyi stubs QGIS ships (qgis/_core.pyi, ...) and PyQt5's.
# QGIS's package has no py.typed marker, so mypy ignores those stubs: a shim folder re-exports them.
# Informational (not part of make test): mypy on core/ is (make lint).
set -euo pipefail
cd "$(dirname "$0")/.."
qgis=$(/usr/bin/python3 -c "import os, qgis; print(os.path.dirname(qgis.__file__))")
shim=$(mktemp -d); trap 'rm -rf "$shim"' EXIT
mkdir -p "$shim/qgis/PyQt"
touch "$shim/qgis/__init__.pyi" "$shim/qgis/py.typed" "$shim/qgis/PyQt/__init__.pyi"
for module in core gui analysis; do
  cp "$qgis/_$module.pyi" "$shim/qgis/"
  echo "from qgis._$module import *" >"$shim/qgis/$module.pyi"
done
for module in QtCore QtGui QtWidgets QtXml QtNetwork QtSvg QtPrintSupport; do
  echo "from PyQt5.$module import *" >"$shim/qgis/PyQt/$module.pyi"
done
MYPYPATH="$shim" .venv/bin/python -m mypy --config-file /dev/null --ignore-missing-imports --follow-imports=silent \
  rare_earth_plugin "$@" | tail -n "${TAIL:-1}" || true
