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

# Every suite runs even when an earlier one fails (but the build must work for the JS suites), so one run
# shows every failure.
failed=()
step() {  # step NAME COMMAND...: run it, remember a failure, return its status
  local name=$1; shift
  echo "==> $name"
  if "$@"; then return 0; fi
  failed+=("$name")
  return 1
}

step "ruff" bash -c '.venv/bin/ruff check py tests_py tests_browser bench vectors scripts &&
  .venv/bin/ruff format --check py tests_py tests_browser bench vectors scripts' || true
step "pytest tests_py (CPython, and the engine inside Pyodide)" $PYTHON -m pytest tests_py -q -p no:cacheprovider || true
if step "npm run build (js/)" bash -c 'cd js && npm run build --silent'; then
  step "node --test (js/, against the packed tarball)" bash -c 'cd js && npm test --silent' || true
  step "pytest tests_browser (headless Chromium)" $PYTHON -m pytest tests_browser -q -p no:cacheprovider || true
fi

if ((${#failed[@]})); then
  printf '==> FAILED after %d s: %s\n' "$((SECONDS - start))" "$(IFS=';'; echo "${failed[*]}")"
  exit 1
fi
echo "==> all tests passed in $((SECONDS - start)) s"
