#!/usr/bin/env bash
# Regenerates every generated artefact from its source of truth.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd proto && rm -rf gen && ../node_modules/.bin/buf lint && ../node_modules/.bin/buf generate)

# From typed definitions (docs/crds.md, docs/helm.md): the CRDs (crds/*.yaml and the chart's
# copies) and the chart's values.schema.json and values.yaml. The generator is TypeScript: compile
# it and what it imports into .cache/ (inside the repository, so that node_modules and
# package.json's "type": "module" apply), without type checking, which `npm run typecheck` does for
# the whole tree.
out=.cache/schema-gen
rm -rf "$out"
node_modules/.bin/tsc -p scripts/schema-gen/tsconfig.json --noCheck
node "$out/scripts/schema-gen/generate.js" "$PWD"
