#!/usr/bin/env bash
# Runs every test: lint, Python (pytest), Node (the packed npm tarball, node:test) and browser
# (pytest + Playwright in headless Chromium). Installs what it needs first. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --system
PY=.venv/bin/python

echo "==> npm ci (js/)"
(cd js && npm ci --no-audit --no-fund --loglevel=error)

echo "==> ruff"
.venv/bin/ruff check py tests_py bench vectors
echo "==> pytest tests_py"
$PY -m pytest tests_py -q
