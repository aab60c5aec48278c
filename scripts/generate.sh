#!/usr/bin/env bash
# Regenerates every generated artefact from its source of truth.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd proto && rm -rf gen && ../node_modules/.bin/buf lint && ../node_modules/.bin/buf generate)
