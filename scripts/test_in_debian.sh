#!/usr/bin/env bash
# Run `make demo` and `make test` from a clean clone of the commit under test inside a minimal Debian chroot.
#
#   scripts/test_in_debian.sh SUITE [COMMAND...]   (trixie = Debian 13, QGIS 3.40; sid/unstable = QGIS 3.44)
#   make test-debian SUITE=trixie
#
# The chroot gets the host's Debian mirror (from its apt sources), CA bundle and pip configuration, so it reaches
# the same package indexes as the host. Its packages come from OUR `make setup` run inside it. The minimal base is
# cached as build/debian-SUITE.tar (delete it to rebuild) and downloaded .debs in build/apt-cache-SUITE/; without
# either the script builds them. Mounts are undone by a trap whatever happens. Needs root (or password-less sudo).
# Environment: DEBIAN_MIRROR overrides the mirror; KEEP_CHROOT=1 leaves the unpacked tree for inspection.
set -euo pipefail

usage() { echo "usage: $0 trixie|sid|unstable [COMMAND...]   (default command: make demo && make test)" >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in
  trixie|13) SUITE=trixie ;;
  sid|unstable) SUITE=sid ;;
  *) usage ;;
esac
shift
# What runs in the clone after `make setup`; e.g. to repeat one test file: ... trixie .venv/bin/python -m pytest X
if [ $# -gt 0 ]; then COMMAND=$(printf '%q ' "$@"); else COMMAND="make demo && make test"; fi

REPO=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo --preserve-env "$0" "$SUITE" "$@"
  fi
  echo "test_in_debian: needs root (debootstrap, chroot and mounts); run it with sudo" >&2
  exit 1
fi

BUILD="$REPO/build"
ROOT="$BUILD/debian-$SUITE"
BASE_TAR="$BUILD/debian-$SUITE.tar"
APT_CACHE="$BUILD/apt-cache-$SUITE"
COMMIT=$(git -C "$REPO" rev-parse HEAD)
log() { echo "test_in_debian[$SUITE]: $*" >&2; }

# --- the host's Debian mirror: deb822 sources first, then the one-line format --------------------------------
host_mirror() {
  local file uri
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    # The URIs of a stanza whose Suites are not only *-security, that points at a Debian archive.
    uri=$(awk 'BEGIN{RS=""; FS="\n"}
      { u=""; s=""; for (i=1;i<=NF;i++) { if ($i ~ /^URIs:/) u=$i; if ($i ~ /^Suites:/) s=$i }
        sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); sub(/^Suites:[ \t]*/, "", s)
        if (a[1] ~ /\/debian\/?$/ && s !~ /^([^ ]*-security[ ]*)+$/) { print a[1]; exit } }' "$file")
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    uri=$(sed -n -E 's/^deb[ \t]+(\[[^]]*\][ \t]+)?([^ \t]+\/debian)\/?[ \t]+[a-z]+[ \t].*/\2/p' "$file" | head -n1)
    [ -n "$uri" ] && { echo "${uri%/}"; return; }
  done
  echo "http://deb.debian.org/debian"
}
MIRROR=${DEBIAN_MIRROR:-$(host_mirror)}

# --- mounts, undone by the trap ---------------------------------------------------------------------------------
MOUNTED=()
mount_in() {  # mount_in TARGET MOUNT-ARGS...
  local target="$ROOT$1"; shift
  mkdir -p "$target"
  mount "$@" "$target"
  MOUNTED+=("$target")
}
# Everything mounted under the chroot, deepest first: ours, and any a test made inside (a tmpfs of the fault
# fixtures) or an earlier, killed run left behind.
mounts_under() { findmnt -rn -o TARGET | awk -v root="$1/" 'index($0, root) == 1' | sort -r; }
unmount_under() {  # unmount_under DIR: kill the processes rooted there, then unmount all below it
  local dir=$1 pid target
  # Processes left running inside the chroot (a stray Xvfb, say) would keep the mounts busy.
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" = "$dir" ] && kill -KILL "$pid" 2>/dev/null || true
  done
  for target in $(mounts_under "$dir"); do
    umount "$target" 2>/dev/null || umount --lazy "$target" 2>/dev/null || true
  done
}
cleanup() {
  local rc=$? i
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do
    umount "${MOUNTED[i]}" 2>/dev/null || umount --lazy "${MOUNTED[i]}" 2>/dev/null || true
  done
  unmount_under "$ROOT"
  if [ -n "$(mounts_under "$ROOT")" ]; then
    log "mounts left under $ROOT:"; mounts_under "$ROOT" >&2; rc=1
  elif [ "${KEEP_CHROOT:-0}" != 1 ] && [ -d "$ROOT" ]; then
    # chattr +i files a killed test left behind would stop rm.
    chattr -R -i "$ROOT/tmp" "$ROOT/work" 2>/dev/null || true
    rm -rf --one-file-system "$ROOT"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- host setup: debootstrap itself --------------------------------------------------------------------------
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

# --- the minimal base, cached as a tarball ---------------------------------------------------------------------
mkdir -p "$BUILD" "$APT_CACHE"
for dir in "$ROOT" "$ROOT.new"; do
  if [ -n "$(mounts_under "$dir")" ]; then
    log "unmounting what an earlier run left under $dir"
    unmount_under "$dir"
    [ -z "$(mounts_under "$dir")" ] || { log "cannot unmount:"; mounts_under "$dir" >&2; exit 1; }
  fi
  if [ -d "$dir" ]; then
    chattr -R -i "$dir/tmp" "$dir/work" 2>/dev/null || true
    rm -rf --one-file-system "$dir"
  fi
done
if [ ! -s "$BASE_TAR" ]; then
  log "debootstrap $SUITE from $MIRROR (cached as $BASE_TAR)"
  debootstrap --variant=minbase --include=ca-certificates,git,make --cache-dir="$APT_CACHE" \
    "$SUITE" "$ROOT.new" "$MIRROR" >"$BUILD/debootstrap-$SUITE.log" 2>&1 \
    || { log "debootstrap failed, see $BUILD/debootstrap-$SUITE.log"; rm -rf --one-file-system "$ROOT.new"; exit 1; }
  rm -f "$ROOT.new"/var/cache/apt/archives/*.deb
  tar -C "$ROOT.new" -cf "$BASE_TAR.part" . && mv "$BASE_TAR.part" "$BASE_TAR"
  mv "$ROOT.new" "$ROOT"
else
  log "unpacking $BASE_TAR"
  mkdir -p "$ROOT"
  tar -C "$ROOT" -xf "$BASE_TAR"
fi

# --- apt: the host's mirror, no Valid-Until for unstable, keep the downloaded packages ---------------------------
rm -f "$ROOT"/etc/apt/sources.list
cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$ROOT/etc/apt/apt.conf.d/90ci" <<EOF
APT::Install-Recommends "false";
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Keep-Downloaded-Packages "true";
EOF
[ "$SUITE" = sid ] && echo 'Acquire::Check-Valid-Until "false";' >>"$ROOT/etc/apt/apt.conf.d/90ci"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

# --- the host's CA bundle and pip configuration ----------------------------------------------------------------
CA_BUNDLE=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$CA_BUNDLE" ]; then
  # Also as a local CA, so update-ca-certificates (run by later installs) keeps the host's extra authorities.
  mkdir -p "$ROOT/usr/local/share/ca-certificates" "$ROOT/etc/ssl/certs" "$ROOT$(dirname "$CA_BUNDLE")"
  cp "$CA_BUNDLE" "$ROOT/usr/local/share/ca-certificates/host-bundle.crt"
  cp "$CA_BUNDLE" "$ROOT/etc/ssl/certs/ca-certificates.crt"
  [ "$CA_BUNDLE" = /etc/ssl/certs/ca-certificates.crt ] || cp "$CA_BUNDLE" "$ROOT$CA_BUNDLE"
fi
pip_configs=(/etc/pip.conf /etc/xdg/pip "$HOME/.config/pip" "$HOME/.pip")
for conf in "${pip_configs[@]}" ${PIP_CONFIG_FILE:+"$PIP_CONFIG_FILE"}; do
  [ -e "$conf" ] || continue
  mkdir -p "$ROOT$(dirname "$conf")"
  cp -r "$conf" "$ROOT$(dirname "$conf")/"
done

# --- mounts: kernel file systems, the apt cache, and local package indexes named by the pip configuration -------
mount_in /proc -t proc proc
mount_in /sys -t sysfs sysfs
mount_in /dev --bind /dev
mount_in /dev/pts --bind /dev/pts
mount_in /var/cache/apt/archives --bind "$APT_CACHE"
# Local directories of wheels/indexes (find-links = /dir, index-url = file:///dir/simple, whose pages may link to
# files beside simple/) would not exist in the chroot.
local_dirs=$( { env | sed -n 's/^PIP_[A-Z_]*=//p'
                for conf in "${pip_configs[@]}"; do
                  if [ -e "$conf" ]; then find "$conf" -name '*.conf' -exec sed -n 's/^[^#;]*=//p' {} +; fi
                done; } | tr ' ' '\n' | sed -E 's#^file://##; s#/+$##; s#/simple$##' | { grep -E '^/' || true; } | sort -u)
for dir in $local_dirs; do
  [ -d "$dir" ] || continue
  case "$dir" in /|/proc*|/sys*|/dev*|/etc*|"$REPO"*) continue ;; esac
  mount_in "$dir" --bind "$dir" && mount -o remount,bind,ro "$ROOT$dir"
done

# --- the commit under test, cloned into the chroot ---------------------------------------------------------------
git clone --quiet --no-hardlinks "$REPO" "$ROOT/work/repo"
git -C "$ROOT/work/repo" checkout --quiet --detach "$COMMIT"
if ! git -C "$REPO" diff --quiet HEAD 2>/dev/null; then
  log "note: uncommitted changes in $REPO are not tested (testing commit $COMMIT)"
fi

# --- inside: our setup, then the demo and the tests ------------------------------------------------------------
pip_env=()
while IFS= read -r line; do pip_env+=("$line"); done < <(env | grep -E '^(PIP_[A-Z_]+|SSL_CERT_FILE|REQUESTS_CA_BUNDLE)=' || true)
log "testing $COMMIT with QGIS from Debian $SUITE"
start=$(date +%s)
# In the background and waited for, so a TERM/INT to this script runs the trap at once (bash defers traps while a
# foreground child runs); the cleanup then kills whatever still runs inside the chroot.
chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive "${pip_env[@]}" \
  COMMAND="$COMMAND" /bin/bash -euo pipefail -c '
    cd /work/repo
    update-ca-certificates >/dev/null 2>&1 || true
    make setup >/work/setup.log 2>&1 || { tail -n 60 /work/setup.log; echo "make setup failed" >&2; exit 1; }
    echo "QGIS $(python3 -c "from qgis.core import Qgis; print(Qgis.QGIS_VERSION)") on $(. /etc/os-release; echo "$PRETTY_NAME")," \
      "$(python3 -c "import platform, numpy; print(\"Python\", platform.python_version(), \"numpy\", numpy.__version__)")"
    eval "$COMMAND"' &
wait $! || { rc=$?; log "FAILED (exit $rc) after $(( $(date +%s) - start )) s"; exit "$rc"; }
log "passed in $(( $(date +%s) - start )) s"
