#!/usr/bin/env bash
# Idempotent setup: Debian packages (QGIS and the geo stack that links QGIS's own GDAL/GEOS/PROJ), then a
# .venv that sees them (--system-site-packages) and holds only pure-Python dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(qgis e2fsprogs python3-qgis qgis-providers python3-rasterio python3-gdal python3-shapely python3-pyproj
      python3-numpy python3-matplotlib proj-bin python3-pytest python3-pytestqt python3-venv python3-pip
      python3-pyqt6 xvfb xauth poppler-utils imagemagick git)

missing=()
for pkg in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  apt_cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    sudo_cmd=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run this as root (or with sudo), then run make again:" >&2
    echo "    sudo apt-get update && sudo $apt_cmd" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive $apt_cmd -qq
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import qgis.core" 2>/dev/null; then
  rm -rf .venv
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
stamp=.venv/.requirements-dev.installed
if [ ! -f "$stamp" ] || ! cmp -s requirements-dev.txt "$stamp"; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  cp requirements-dev.txt "$stamp"
fi
