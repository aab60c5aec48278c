#!/usr/bin/env bash
# `npm test`: everything CI checks, in the order that fails fastest. Provisions the external test
# tools first (idempotent; a warm cache makes it a no-op).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "provisioning test tools"
tools_bin="$(bash scripts/provision-test-tools.sh)"
kube_bin="$(bash scripts/provision-kube-tools.sh)"
envoy_bin="$(bash scripts/provision-envoy.sh)"
# umoci, runc, skopeo, containerd (Debian packages) for `npm run image` and test/image.
bash scripts/provision-image-tools.sh
node_bin="$(bash scripts/provision-node-tools.sh)"
# Debian's chromium for the console's browser tests (test/console); playwright-core downloads nothing.
bash scripts/provision-chromium.sh >/dev/null
export PATH="$tools_bin:$kube_bin:$envoy_bin:$node_bin:$PATH"

step "generated code is up to date"
bash scripts/verify-generated.sh

step "type check"
npx tsc --noEmit -p tsconfig.json
# The console's browser components have their own (DOM) configuration; esbuild does not type-check.
npx tsc --noEmit -p cli/console/web/tsconfig.json

step "lint and format"
npx eslint --max-warnings 0 .
npx prettier --check --log-level warn .

step "build"
npm run build --silent

step "tests"
report="$(mktemp)"
status=0
npx jest --ci --json --outputFile="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$report"
rm -f "$report"
exit "$status"
