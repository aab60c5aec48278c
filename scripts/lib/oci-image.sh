# shellcheck shell=bash
# Building OCI image archives with no container daemon and no registry (docs/image.md), sourced by
# scripts/build-image.sh.
#
# A layer is a tar of a staged directory made reproducible: entries sorted by name, every mtime
# SOURCE_DATE_EPOCH, owner and group 0 (or the given ID), no atime/ctime and no process IDs in the
# headers. umoci stacks such tars into an OCI image layout (it gzips them, deterministically) and
# writes the config; oci_archive then adds what importers read (the index's name annotations and
# Docker's manifest.json) and packs the layout into one tar, again sorted with fixed metadata.
# Building twice from the same inputs gives the same bytes.
#
# Needs GNU tar, umoci, dpkg-deb and apt-get (Debian packages), node (JSON), sha256sum. The caller
# exports SOURCE_DATE_EPOCH.

oci_log() { printf 'image: %s\n' "$*" >&2; }

# oci_tar_flags OWNER: the flags that make a tar reproducible, files owned by uid = gid = OWNER.
oci_tar_flags() {
  printf '%s\n' --sort=name --format=posix --numeric-owner --owner="$1" --group="$1" \
    "--mtime=@$SOURCE_DATE_EPOCH" --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
}

# oci_layer_tar DIR TAR [OWNER [PATH…]]: TAR holds DIR's content, or only the PATHs (relative to
# DIR, without their parent directories), with paths relative to DIR and no `./`, owned by OWNER
# (default 0, root). Each directory is followed by its content, in byte order of the names.
oci_layer_tar() {
  local dir="$1" tar="$2" owner="${3:-0}" flags entries
  shift $(($# < 3 ? $# : 3))
  mapfile -t flags < <(oci_tar_flags "$owner")
  if [ "$#" -gt 0 ]; then
    entries=("$@")
  else
    mapfile -t entries < <(cd "$dir" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
  fi
  LC_ALL=C tar -C "$dir" -cf "$tar" "${flags[@]}" "${entries[@]}"
}

# oci_debian_download CACHE PACKAGE…: the .deb files of the packages' candidate versions, downloaded
# into CACHE once (file names carry name, version and architecture), printed one path a line.
# Refreshes the package lists once when a package is unknown or its file is gone from the mirror.
oci_debian_download() {
  local cache="$1" uris
  shift
  mkdir -p "$cache"
  if ! uris="$(apt-get download --print-uris "$@" 2>/dev/null)" || [ -z "$uris" ]; then
    oci_apt_update
    uris="$(apt-get download --print-uris "$@")"
  fi
  local file missing=()
  while read -r _ file _; do [ -f "$cache/$file" ] || missing+=("$file"); done <<<"$uris"
  if [ "${#missing[@]}" -gt 0 ]; then
    oci_log "downloading Debian packages: ${missing[*]}"
    # As root, apt drops to the _apt user for downloads: let it write into the cache.
    (cd "$cache" && apt-get download -o APT::Sandbox::User=root -qq "$@" >&2) || {
      oci_apt_update
      (cd "$cache" && apt-get download -o APT::Sandbox::User=root -qq "$@" >&2)
    }
  fi
  while read -r _ file _; do printf '%s\n' "$cache/$file"; done <<<"$uris"
}

oci_apt_update() {
  if [ "$(id -u)" != 0 ]; then
    oci_log "the Debian package lists are missing or stale: run 'apt-get update' as root"
    exit 1
  fi
  oci_log "refreshing the Debian package lists (apt-get update)"
  apt-get update -qq >&2
}

# oci_debian_unpack DIR DEB…: unpacks the packages into DIR as on a merged-/usr system (/bin, /sbin,
# /lib and /lib64 are links into /usr), without what a runtime never reads: documentation but the
# copyright files, manual pages, lintian and gdb data, glibc's gconv modules (Node converts
# character sets with its own ICU). Each package's control fields go to
# DIR/var/lib/dpkg/status.d/NAME, as in distroless images, so image scanners see the versions.
oci_debian_unpack() {
  local dir="$1" deb name link
  shift
  mkdir -p "$dir/usr" "$dir/var/lib/dpkg/status.d"
  for link in bin sbin lib lib64; do
    mkdir -p "$dir/usr/$link"
    ln -sfn "usr/$link" "$dir/$link"
  done
  for deb in "$@"; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir" --keep-directory-symlink --same-permissions --no-same-owner
    name="$(dpkg-deb -f "$deb" Package)"
    { dpkg-deb -f "$deb" Package; echo "Status: install ok installed"; dpkg-deb -f "$deb" |
      grep -v '^Package:'; } >"$dir/var/lib/dpkg/status.d/$name"
    chmod 0644 "$dir/var/lib/dpkg/status.d/$name"
  done
  rm -rf "$dir/usr/share/man" "$dir/usr/share/info" "$dir/usr/share/lintian" "$dir/usr/share/gdb" \
    "$dir/usr/share/gcc" "$dir/usr/lib/x86_64-linux-gnu/gconv"
  if [ -d "$dir/usr/share/doc" ]; then
    find "$dir/usr/share/doc" -type f ! -name copyright -delete
    find "$dir/usr/share/doc" -xtype l -delete
  fi
}

# oci_layout_new LAYOUT TAG: an empty OCI image layout holding one image with no layers.
oci_layout_new() {
  rm -rf "$1"
  umoci init --layout "$1"
  umoci new --image "$1:$2"
}

# oci_layout_add_layer LAYOUT TAG TAR DESCRIPTION: appends TAR (gzipped by umoci) as the next layer;
# DESCRIPTION becomes the history entry's created_by.
oci_layout_add_layer() {
  umoci raw add-layer --image "$1:$2" --history.created "$(oci_created)" --history.created_by "$4" "$3"
}

# oci_created: SOURCE_DATE_EPOCH in RFC 3339, the time every config and history entry carries.
oci_created() { date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ; }

# oci_archive LAYOUT TAG NAME ARCHIVE: garbage-collects LAYOUT, names its image NAME (a full
# reference) and packs it into ARCHIVE (written atomically). The index keeps the tag in
# org.opencontainers.image.ref.name (skopeo, umoci) and gets the full name in
# io.containerd.image.name (ctr images import, podman load, Docker 25+); manifest.json is Docker's
# archive manifest, for `docker load` before Docker 25.
oci_archive() {
  local layout="$1" tag="$2" name="$3" archive="$4" flags
  umoci gc --layout "$layout"
  node - "$layout" "$tag" "$name" <<'JS'
const { readFileSync, writeFileSync } = require('node:fs');
const [layout, tag, name] = process.argv.slice(2);
const index = JSON.parse(readFileSync(`${layout}/index.json`, 'utf8'));
const refName = 'org.opencontainers.image.ref.name';
const image = index.manifests.find((entry) => entry.annotations?.[refName] === tag);
if (image === undefined) throw new Error(`no image tagged ${tag} in ${layout}`);
image.annotations = { 'io.containerd.image.name': name, [refName]: tag };
index.manifests = [image];
const blob = (digest) => `blobs/sha256/${digest.replace(/^sha256:/, '')}`;
const manifest = JSON.parse(readFileSync(`${layout}/${blob(image.digest)}`, 'utf8'));
const docker = [{ Config: blob(manifest.config.digest), RepoTags: [name], Layers: manifest.layers.map((l) => blob(l.digest)) }];
writeFileSync(`${layout}/index.json`, JSON.stringify(index));
writeFileSync(`${layout}/manifest.json`, JSON.stringify(docker));
JS
  mapfile -t flags < <(oci_tar_flags 0)
  LC_ALL=C tar -C "$layout" -cf "$archive.partial" "${flags[@]}" --mode=a+rX,u+w,go-w \
    oci-layout index.json manifest.json blobs
  mv -f "$archive.partial" "$archive"
}

# oci_archive_digest ARCHIVE: the digest of the image manifest in ARCHIVE (what a registry shows).
oci_archive_digest() {
  tar -xOf "$1" index.json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () =>
    console.log(JSON.parse(s).manifests[0].digest))'
}
