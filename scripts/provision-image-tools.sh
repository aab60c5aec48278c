#!/usr/bin/env bash
# Provisions what `npm run image` and the image tests (test/image) run, idempotently: Debian
# packages, installed with apt-get when missing (needs root, as in CI; a warm machine installs
# nothing). Prints nothing on standard output: every tool lands on the system PATH.
#
# - umoci: packs the image layers into an OCI layout (scripts/build-image.sh);
# - runc: runs the unpacked image as UID 65532 on a read-only root file system;
# - skopeo: reads the archive as a registry client would (`skopeo inspect oci-archive:…`);
# - containerd (with ctr): `ctr images import` of the archive, as the test nodes do.
# - podman: `podman load` of the archive (into a throw-away vfs store).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/debian-packages.sh
. "$root/scripts/lib/debian-packages.sh"
ensure_debian_packages provision-image umoci=/usr/bin/umoci runc=/usr/sbin/runc skopeo=/usr/bin/skopeo \
  containerd=/usr/bin/ctr podman=/usr/bin/podman
printf 'provision-image: ready: umoci %s, runc %s, skopeo %s, containerd %s, podman %s\n' \
  "$(umoci --version | cut -d' ' -f3)" "$(runc --version | sed -n 's/^runc version //p')" \
  "$(skopeo --version | cut -d' ' -f3)" "$(containerd --version | cut -d' ' -f3)" "$(podman --version | cut -d' ' -f3)" >&2
