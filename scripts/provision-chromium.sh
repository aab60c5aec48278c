#!/usr/bin/env bash
# Provisions the browser the console tests drive (test/console), idempotently: Debian's `chromium`
# package, installed with apt-get when /usr/bin/chromium is missing (needs root, as in CI; a warm
# machine installs nothing). playwright-core drives it through its executable path: no browser is
# ever downloaded at install time (docs/console.md, "Tests"). Prints the executable's path on
# standard output, the version on standard error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/debian-packages.sh
. "$root/scripts/lib/debian-packages.sh"
ensure_debian_packages provision-chromium chromium=/usr/bin/chromium
printf 'provision-chromium: ready: %s\n' "$(/usr/bin/chromium --version 2>/dev/null)" >&2
echo /usr/bin/chromium
