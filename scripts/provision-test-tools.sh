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

command -v openssl >/dev/null || { log "openssl is missing"; exit 1; }
"$bin/grpcurl" -version >/dev/null 2>&1 || { log "grpcurl does not run"; exit 1; }
"$bin/ghz" --version >/dev/null 2>&1 || { log "ghz does not run"; exit 1; }
echo "$bin"
