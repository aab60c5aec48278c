# shellcheck shell=bash
# Installs missing Debian packages that the build or the tests run, idempotently: a package whose
# file is present is left alone, the others are installed with one apt-get call. That needs root
# (CI runs as root); as another user the message names the command to run instead.

# ensure_debian_packages WHO PACKAGE=FILE…: installs each PACKAGE whose FILE is not executable. WHO
# prefixes the messages.
ensure_debian_packages() {
  local who="$1" missing=() pair
  shift
  for pair in "$@"; do [ -x "${pair#*=}" ] || missing+=("${pair%%=*}"); done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    printf '%s: missing Debian packages %s: run as root: apt-get install %s\n' "$who" "${missing[*]}" "${missing[*]}" >&2
    return 1
  fi
  printf '%s: installing Debian packages: %s\n' "$who" "${missing[*]}" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
}
