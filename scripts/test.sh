#!/usr/bin/env bash
# Runs every test: lint, Python (pytest, including the engine inside Pyodide), Node (node:test against the
# packed npm tarball installed into a temporary project) and browser (pytest + Playwright in headless
# Chromium). Installs what it needs first. Prints each runner's own summary; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$SECONDS

scripts/setup.sh --system
export PYTHON="$root/.venv/bin/python"   # the js build makes the engine wheel with this Python's `build`

echo "==> npm ci (js/)"
(cd js && npm ci --no-audit --no-fund --loglevel=error)

echo "==> ruff"
.venv/bin/ruff check py tests_py tests_browser bench vectors scripts
.venv/bin/ruff format --check py tests_py tests_browser bench vectors scripts

echo "==> pytest tests_py (CPython $($PYTHON -c 'import sys; print(sys.version.split()[0])'), and Pyodide)"
$PYTHON -m pytest tests_py -q -p no:cacheprovider

echo "==> npm run build (js/)"
(cd js && npm run build --silent)

echo "==> node --test (js/, against the packed tarball)"
(cd js && npm test --silent)

echo "==> pytest tests_browser (headless Chromium)"
$PYTHON -m pytest tests_browser -q -p no:cacheprovider

echo "==> all tests passed in $((SECONDS - start)) s"
