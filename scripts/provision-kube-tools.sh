#!/usr/bin/env bash
# Provisions the Kubernetes test tools (kube-apiserver, etcd, helm) into the same cache as
# scripts/provision-test-tools.sh, idempotently: a warm cache whose stamp matches the pinned
# versions builds nothing. Prints the directory to put on PATH.
#
#   ACCORD_TOOLS_DIR     where tools go (default: .cache/accord-tools in the repository)
#   KUBEBUILDER_ASSETS   a directory that already holds kube-apiserver and etcd: used as is
#
# kube-apiserver cannot be `go install`ed: k8s.io/kubernetes replaces its staging modules
# (k8s.io/api, k8s.io/client-go, ...) with local paths. A generated wrapper module requires
# k8s.io/kubernetes at a release tag and replaces every staging module with its published
# v0.<minor>.<patch> version instead. etcd's server module has the same problem, but its go.mod
# already requires its sibling modules at the release version, so a plain wrapper is enough.
# A cold kube-apiserver build takes 10-20 minutes on 2 cores; the Go caches live in the tools
# directory so later builds are incremental.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${ACCORD_TOOLS_DIR:-$root/.cache/accord-tools}"
bin="$tools/bin"
mkdir -p "$bin"
export GOBIN="$bin" GOPATH="$tools/go" GOCACHE="$tools/go-build" GOFLAGS="-modcacherw -p=2" GOTOOLCHAIN=local

kubernetes_version="v1.35.4"
etcd_version="v3.6.16"
helm_version="v4.2.4"

log() { printf 'provision-kube: %s\n' "$*" >&2; }

# stamp_matches NAME PIN: true when bin/NAME exists and was built from PIN.
stamp_matches() {
  [ -x "$bin/$1" ] && [ -f "$bin/.$1.version" ] && [ "$(cat "$bin/.$1.version")" = "$2" ]
}

write_stamp() { printf '%s' "$2" >"$bin/.$1.version"; }

# wrapper_module DIR MODULE VERSION PACKAGE: writes a module whose only job is to depend on PACKAGE.
wrapper_module() {
  local dir="$1" module="$2" version="$3" package="$4"
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/go.mod" <<EOF
module accord.dev/kube-tools-wrapper

go 1.25.0

require $module $version
EOF
  cat >"$dir/main.go" <<'EOF'
// Package main is empty: this module exists only to pin the tools it imports in tools.go.
package main

func main() {}
EOF
  cat >"$dir/tools.go" <<EOF
//go:build tools

package main

import _ "$package"
EOF
}

build_kube_apiserver() {
  local pin="kubernetes $kubernetes_version"
  if stamp_matches kube-apiserver "$pin"; then return; fi
  local dir="$tools/wrappers/kube-apiserver" staging_version="v0.${kubernetes_version#v1.}"
  log "building kube-apiserver $kubernetes_version (cold: 10-20 minutes on 2 cores)"
  wrapper_module "$dir" k8s.io/kubernetes "$kubernetes_version" k8s.io/kubernetes/cmd/kube-apiserver
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
    for module in $staging; do printf '\t%s => %s %s\n' "$module" "$module" "$staging_version"; done
    printf ')\n'
  } >>"$dir/go.mod"
  (cd "$dir" && go mod tidy)
  local version_package=k8s.io/component-base/version minor="${kubernetes_version#v1.}"
  minor="${minor%%.*}"
  (cd "$dir" && nice -n 10 go build -trimpath -o "$bin/kube-apiserver" \
    -ldflags "-s -w -X $version_package.gitVersion=$kubernetes_version -X $version_package.gitMajor=1 -X $version_package.gitMinor=$minor -X $version_package.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/kube-apiserver)
  write_stamp kube-apiserver "$pin"
}

build_etcd() {
  local pin="etcd $etcd_version"
  if stamp_matches etcd "$pin"; then return; fi
  local dir="$tools/wrappers/etcd"
  log "building etcd $etcd_version"
  wrapper_module "$dir" go.etcd.io/etcd/server/v3 "$etcd_version" go.etcd.io/etcd/server/v3
  (cd "$dir" && go mod tidy && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
  write_stamp etcd "$pin"
}

build_helm() {
  local pin="helm $helm_version"
  if stamp_matches helm "$pin"; then return; fi
  log "building helm $helm_version"
  nice -n 10 go install "helm.sh/helm/v4/cmd/helm@$helm_version"
  write_stamp helm "$pin"
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  log "using kube-apiserver and etcd from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  apiserver="$KUBEBUILDER_ASSETS/kube-apiserver"
  etcd="$KUBEBUILDER_ASSETS/etcd"
else
  build_etcd
  build_kube_apiserver
  apiserver="$bin/kube-apiserver"
  etcd="$bin/etcd"
fi
build_helm

"$apiserver" --version >/dev/null 2>&1 || { log "kube-apiserver does not run"; exit 1; }
"$etcd" --version >/dev/null 2>&1 || { log "etcd does not run"; exit 1; }
"$bin/helm" version >/dev/null 2>&1 || { log "helm does not run"; exit 1; }
log "ready: $("$apiserver" --version), etcd $("$etcd" --version | sed -n 's/^etcd Version: //p'), helm $("$bin/helm" version --short)"
echo "$bin"
