#!/usr/bin/env bash
# Provisions what a real single-node test cluster needs besides etcd and kube-apiserver
# (scripts/provision-kube-tools.sh) into the same cache, idempotently: a warm cache whose stamps
# match the pinned versions builds nothing. Prints the directory to put on PATH.
#
#   ACCORD_TOOLS_DIR   where tools go (default: .cache/accord-tools in the repository)
#
# - kubelet, kube-controller-manager, kube-scheduler and kube-proxy: one `go build` of the four
#   commands through the Kubernetes wrapper module (scripts/lib/go-builds.sh), at the same release
#   as kube-apiserver. About 2 minutes on a warm Go build cache, 5 with an empty one.
# - CoreDNS from the Go module proxy, with only the plugins the test clusters use, and an OCI image
#   archive holding only that static binary (images/coredns-<version>.tar), built with umoci, since
#   the clusters pull from no registry.
# - containerd, runc, the CNI plugins (bridge, host-local, loopback, portmap), iptables and
#   conntrack (kube-proxy), umoci: Debian packages, installed with apt-get when missing (needs
#   root, as running a node does).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${ACCORD_TOOLS_DIR:-$root/.cache/accord-tools}"

log() { printf 'provision-node: %s\n' "$*" >&2; }
# shellcheck source=lib/go-builds.sh
. "$root/scripts/lib/go-builds.sh"
# shellcheck source=lib/debian-packages.sh
. "$root/scripts/lib/debian-packages.sh"

coredns_version="v1.14.7"
images="$tools/images"
node_commands=(kubelet kube-controller-manager kube-scheduler kube-proxy)

build_node_commands() {
  local pin="kubernetes $kubernetes_version" name stale=0
  for name in "${node_commands[@]}"; do stamp_matches "$name" "$pin" || stale=1; done
  [ "$stale" = 1 ] || return 0
  log "building ${node_commands[*]} $kubernetes_version (cold: about 5 minutes on 2 cores)"
  local packages=()
  for name in "${node_commands[@]}"; do packages+=("k8s.io/kubernetes/cmd/$name"); done
  build_kubernetes "$tools/wrappers/kube-node" "${packages[@]}"
  for name in "${node_commands[@]}"; do write_stamp "$name" "$pin"; done
}

# CoreDNS with only the plugins the test clusters' Corefile uses (test/node/coredns-manifests.ts),
# through a main package of its own, as CoreDNS documents for choosing plugins at compile time:
# the stock build compiles every cloud provider's SDK (about 10 minutes cold, 76 MB).
coredns_plugins=(ready health errors cache kubernetes)

build_coredns() {
  local pin="coredns $coredns_version (${coredns_plugins[*]})"
  if stamp_matches coredns "$pin"; then return; fi
  local dir="$tools/wrappers/coredns" plugin
  log "building coredns $coredns_version with ${coredns_plugins[*]}"
  rm -rf "$dir"
  mkdir -p "$dir"
  printf 'module accord.dev/coredns\n\ngo 1.25.0\n\nrequire github.com/coredns/coredns %s\n' "$coredns_version" >"$dir/go.mod"
  {
    printf '// Package main is CoreDNS with the plugins of the test clusters only (in chain order).\n'
    printf 'package main\n\nimport (\n\t"github.com/coredns/coredns/core/dnsserver"\n\t"github.com/coredns/coredns/coremain"\n\n'
    for plugin in "${coredns_plugins[@]}"; do printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "$plugin"; done
    printf ')\n\nfunc init() {\n\tdnsserver.Directives = []string{'
    for plugin in "${coredns_plugins[@]}"; do printf '"%s", ' "$plugin"; done
    printf '}\n}\n\nfunc main() { coremain.Run() }\n'
  } >"$dir/main.go"
  gofmt -w "$dir/main.go"
  (cd "$dir" && go mod tidy && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "-s -w" -o "$bin/coredns" .)
  write_stamp coredns "$pin"
}

# The CoreDNS image: one layer with the static binary, run as a non-root user. Its index names the
# image by tag (org.opencontainers.image.ref.name), which `ctr images import --base-name` uses.
build_coredns_image() {
  local archive="$images/coredns-$coredns_version.tar" pin
  pin="$(cat "$bin/.coredns.version")"
  if [ -f "$archive" ] && [ -f "$images/.coredns.version" ] && [ "$(cat "$images/.coredns.version")" = "$pin" ]; then return; fi
  log "packing the coredns image"
  mkdir -p "$images"
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  umoci init --layout "$work/layout"
  umoci new --image "$work/layout:$coredns_version"
  umoci unpack --image "$work/layout:$coredns_version" "$work/bundle" >/dev/null
  install -m 0755 "$bin/coredns" "$work/bundle/rootfs/coredns"
  umoci repack --image "$work/layout:$coredns_version" "$work/bundle"
  umoci config --image "$work/layout:$coredns_version" --config.user 65532:65532 \
    --config.entrypoint /coredns --config.exposedports 53/udp --config.exposedports 53/tcp \
    --config.label "org.opencontainers.image.version=$coredns_version"
  umoci gc --layout "$work/layout"
  tar -C "$work/layout" -cf "$archive.partial" .
  mv "$archive.partial" "$archive"
  printf '%s' "$pin" >"$images/.coredns.version"
}

# Debian package=a file it installs that the node harness uses.
ensure_debian_packages provision-node containerd=/usr/bin/containerd runc=/usr/sbin/runc \
  containernetworking-plugins=/usr/lib/cni/bridge iptables=/usr/sbin/iptables conntrack=/usr/sbin/conntrack \
  umoci=/usr/bin/umoci
build_node_commands
build_coredns
build_coredns_image

for name in "${node_commands[@]}"; do
  "$bin/$name" --version >/dev/null 2>&1 || { log "$name does not run"; exit 1; }
done
"$bin/coredns" -version >/dev/null 2>&1 || { log "coredns does not run"; exit 1; }
log "ready: $("$bin/kubelet" --version), coredns $coredns_version, $(containerd --version | cut -d' ' -f3), runc $(runc --version | sed -n 's/^runc version //p')"
echo "$bin"
