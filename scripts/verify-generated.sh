#!/usr/bin/env bash
# Fails when a committed generated artefact differs from what its generator produces now.
set -euo pipefail
cd "$(dirname "$0")/.."
generated=(proto/gen ':(glob)crds/*.yaml' charts/accord/crds charts/accord/values.schema.json charts/accord/values.yaml)
bash scripts/generate.sh
if ! git diff --exit-code --stat -- "${generated[@]}"; then
  echo "generated files are stale: run 'npm run generate' and commit the result" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- "${generated[@]}")" ]; then
  git status --porcelain -- "${generated[@]}" >&2
  echo "generated files are not committed: run 'npm run generate' and commit the result" >&2
  exit 1
fi
echo "generated files are up to date"
