#!/usr/bin/env bash
# Provisions the Kubernetes test tools (kube-apiserver, etcd, helm) into the same cache as
# scripts/provision-test-tools.sh, idempotently: a warm cache whose stamp matches the pinned
# versions builds nothing. Prints the directory to put on PATH.
#
#   ACCORD_TOOLS_DIR     where tools go (default: .cache/accord-tools in the repository)
#   KUBEBUILDER_ASSETS   a directory that already holds kube-apiserver and etcd: used as is
#
# kube-apiserver is built through the Kubernetes wrapper module of scripts/lib/go-builds.sh. etcd's
# server module has the same problem, but its go.mod already requires its sibling modules at the
# release version, so a plain wrapper is enough.
# A cold kube-apiserver build takes 10-20 minutes on 2 cores; the Go caches live in the tools
# directory so later builds are incremental.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${ACCORD_TOOLS_DIR:-$root/.cache/accord-tools}"

log() { printf 'provision-kube: %s\n' "$*" >&2; }
# shellcheck source=lib/go-builds.sh
. "$root/scripts/lib/go-builds.sh"

etcd_version="v3.6.16"
helm_version="v4.2.4"

build_kube_apiserver() {
  local pin="kubernetes $kubernetes_version"
  if stamp_matches kube-apiserver "$pin"; then return; fi
  log "building kube-apiserver $kubernetes_version (cold: 10-20 minutes on 2 cores)"
  build_kubernetes "$tools/wrappers/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
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
