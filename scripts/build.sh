#!/usr/bin/env bash
# `npm run build`: the action's bundle in dist/ and the token command's in
# dist/token-command/ (its own entry point: later steps run it, see keep-fresh),
# minified chunks, and dist/licenses.txt for both. DIST_DIR builds elsewhere
# (check-dist compares a fresh build with the committed one).
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${DIST_DIR:-dist}
rm -rf "$dist"
ncc build src/index.ts -o "$dist" --minify --target es2022 --stats-out "$dist/ncc-stats.json"
ncc build src/token-command/index.ts -o "$dist/token-command" --minify --target es2022 --stats-out "$dist/token-command/ncc-stats.json"
node scripts/minify-chunks.js "$dist"
node scripts/minify-chunks.js "$dist/token-command"
node scripts/licenses.js "$dist" "$dist/token-command"
