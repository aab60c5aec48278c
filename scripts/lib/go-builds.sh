# Sourced by the provisioning scripts that build Go tools into the shared cache: the cache layout,
# the version stamps and the wrapper module that builds Kubernetes' commands from the Go module
# proxy. Expects `tools` (the cache directory) and `log` to be set by the sourcing script.
#
# Kubernetes commands cannot be `go install`ed: k8s.io/kubernetes replaces its staging modules
# (k8s.io/api, k8s.io/client-go, ...) with local paths. A generated wrapper module requires
# k8s.io/kubernetes at a release tag and replaces every staging module with its published
# v0.<minor>.<patch> version instead.

bin="$tools/bin"
mkdir -p "$bin"
export GOBIN="$bin" GOPATH="$tools/go" GOCACHE="$tools/go-build" GOFLAGS="-modcacherw -p=2" GOTOOLCHAIN=local

# The Kubernetes release every Kubernetes binary in the cache is built from (API server and node).
kubernetes_version="v1.35.4"

# stamp_matches NAME PIN: true when bin/NAME exists and was built from PIN.
stamp_matches() {
  [ -x "$bin/$1" ] && [ -f "$bin/.$1.version" ] && [ "$(cat "$bin/.$1.version")" = "$2" ]
}

write_stamp() { printf '%s' "$2" >"$bin/.$1.version"; }

# wrapper_module DIR MODULE VERSION PACKAGE...: writes a module whose only job is to depend on the
# PACKAGEs of MODULE at VERSION.
wrapper_module() {
  local dir="$1" module="$2" version="$3"
  shift 3
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/go.mod" <<GOMOD
module accord.dev/kube-tools-wrapper

go 1.25.0

require $module $version
GOMOD
  cat >"$dir/main.go" <<'GO'
// Package main is empty: this module exists only to pin the tools it imports in tools.go.
package main

func main() {}
GO
  {
    printf '//go:build tools\n\npackage main\n\nimport (\n'
    local package
    for package in "$@"; do printf '\t_ "%s"\n' "$package"; done
    printf ')\n'
  } >"$dir/tools.go"
}

# build_kubernetes DIR PACKAGE...: builds k8s.io/kubernetes commands (e.g.
# k8s.io/kubernetes/cmd/kubelet) at kubernetes_version into bin/, through a wrapper module in DIR.
build_kubernetes() {
  local dir="$1"
  shift
  local staging_version="v0.${kubernetes_version#v1.}"
  wrapper_module "$dir" k8s.io/kubernetes "$kubernetes_version" "$@"
  # The staging modules are whatever k8s.io/kubernetes itself replaces with ./staging/... paths.
  local kubernetes_gomod staging
  kubernetes_gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$kubernetes_version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  staging="$(sed -n 's|^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*|\1|p' "$kubernetes_gomod")"
  if [ -z "$staging" ]; then
    log "no staging modules found in $kubernetes_gomod"
    exit 1
  fi
  log "replacing $(wc -w <<<"$staging") staging modules with $staging_version"
  {
    printf '\ngodebug default=go1.25\n\nreplace (\n'
    local module
    for module in $staging; do printf '\t%s => %s %s\n' "$module" "$module" "$staging_version"; done
    printf ')\n'
  } >>"$dir/go.mod"
  (cd "$dir" && go mod tidy)
  local version_package=k8s.io/component-base/version minor="${kubernetes_version#v1.}"
  minor="${minor%%.*}"
  # `go build -o DIR/` writes one binary per main package into DIR, named after the package.
  (cd "$dir" && nice -n 10 go build -trimpath -o "$bin/" \
    -ldflags "-s -w -X $version_package.gitVersion=$kubernetes_version -X $version_package.gitMajor=1 -X $version_package.gitMinor=$minor -X $version_package.gitTreeState=clean" \
    "$@")
}
