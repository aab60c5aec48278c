#!/usr/bin/env bash
# The first step of `npm start` and `npm test`: installs the pinned dependencies (`npm ci`) when
# node_modules is missing or was installed from another package-lock.json, so a fresh clone needs
# no other command. Uses nothing but bash, sha256sum and npm. A second run is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.accord-installed-lock
wanted="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then exit 0; fi
if [ -d node_modules ]; then
  echo "dependencies: package-lock.json changed since the last install; running npm ci" >&2
else
  echo "dependencies: node_modules is missing; running npm ci (first run only)" >&2
fi
# `npm ci` installs exactly the lock file and fails when package.json disagrees with it. npm 11
# skips dependencies' install scripts unless package.json's `allowScripts` approves them; all of
# them are denied there on purpose (README, "Development").
npm ci --no-audit --no-fund >&2
printf '%s' "$wanted" >"$stamp"
