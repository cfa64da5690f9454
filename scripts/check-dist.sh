#!/usr/bin/env bash
# Fails when dist/ is not what `npm run build` makes from the committed source
# (the check actions/typescript-action runs as check-dist).
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
DIST_DIR="$fresh" npm run -s build >/dev/null
if ! diff -r dist "$fresh" >/dev/null; then
  echo "dist/ is stale: run 'npm run build' and commit dist/." >&2
  diff -rq dist "$fresh" >&2 || true
  exit 1
fi
echo "dist/ matches the source."
