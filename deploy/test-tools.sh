#!/usr/bin/env bash
# Tools the test suite needs beyond Python: axe-core (the accessibility checks the browser
# tests run inside each page), from the npm registry into .cache/axe. Done once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AXE_VERSION=4.14.1
target="$root/.cache/axe"
if [ ! -f "$target/node_modules/axe-core/axe.min.js" ] || \
   ! grep -q "\"version\": \"$AXE_VERSION\"" "$target/node_modules/axe-core/package.json"; then
  command -v npm >/dev/null 2>&1 || { echo "test-tools: npm is needed (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$target"
  echo "test-tools: installing axe-core $AXE_VERSION"
  npm install --prefix "$target" --no-save --no-audit --no-fund --loglevel=error \
    "axe-core@$AXE_VERSION"
fi
