#!/usr/bin/env bash
# Provisions the external test tools into a cache directory, idempotently: a second run with a
# warm cache only checks that every tool answers. Prints the directory to put on PATH.
#
#   ACCORD_TOOLS_DIR   where tools go (default: .cache/accord-tools in the repository)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${ACCORD_TOOLS_DIR:-$root/.cache/accord-tools}"
bin="$tools/bin"
mkdir -p "$bin"
export GOBIN="$bin" GOPATH="$tools/go" GOCACHE="$tools/go-build" GOFLAGS="-modcacherw"

log() { printf 'provision: %s\n' "$*" >&2; }

# go_tool NAME MODULE@VERSION: builds a Go command once, and again when the pinned version changes
# (bin/.NAME.version records what bin/NAME was built from).
go_tool() {
  local name="$1" module="$2"
  if [ -x "$bin/$name" ] && { [ ! -f "$bin/.$name.version" ] || [ "$(cat "$bin/.$name.version")" = "$module" ]; }; then
    return
  fi
  log "building $name from $module (first run only)"
  go install "$module"
  printf '%s' "$module" >"$bin/.$name.version"
}

go_tool grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3
# ghz: the compiled gRPC load generator of `npm run bench` (GetCertificates over mTLS).
go_tool ghz github.com/bojand/ghz/cmd/ghz@v0.121.0

# debian_tool NAME PACKAGE=VERSION…: unpacks the pinned Debian packages into $tools/NAME (no root
# needed, nothing installed system-wide) once, and again when a pin changes; bin/NAME runs
# $tools/NAME/usr/bin/NAME with the packages' libraries first on the library path.
debian_tool() {
  local name="$1" root="$tools/$1" download stamp libraries
  shift
  stamp="$*"
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/.$name.version" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  log "unpacking $name from Debian packages $* (first run only)"
  download="$(mktemp -d)"
  (cd "$download" && apt-get download -qq "$@")
  rm -rf "$root"
  for package in "$download"/*.deb; do dpkg-deb -x "$package" "$root"; done
  rm -rf "$download"
  libraries="$(dirname "$(find "$root/usr/lib" -name '*.so*' -print -quit)")"
  # exec: the process is NAME itself (the benchmark tells it apart from the path under test by name).
  printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s/usr/bin/%s" "$@"\n' \
    "$libraries" "$root" "$name" >"$bin/$name"
  chmod +x "$bin/$name"
  printf '%s' "$stamp" >"$bin/.$name.version"
}

# wrk: the compiled HTTP load generator of the translator-path benchmark (C and LuaJIT: a few
# microseconds of CPU per request, so the two cores go to the path under test, not the client).
debian_tool wrk wrk=4.1.0-3+b2 libluajit2-5.1-2=2.1-20230119-1

command -v openssl >/dev/null || { log "openssl is missing"; exit 1; }
"$bin/grpcurl" -version >/dev/null 2>&1 || { log "grpcurl does not run"; exit 1; }
"$bin/ghz" --version >/dev/null 2>&1 || { log "ghz does not run"; exit 1; }
{ "$bin/wrk" -v 2>&1 || true; } | grep -q '^wrk ' || { log "wrk does not run"; exit 1; }
echo "$bin"
