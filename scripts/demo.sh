#!/usr/bin/env bash
# The demo, the README's first command. From a fresh clone: installs and builds what it needs (npm ci and
# npm run build in js/, the local package into examples/), then runs examples/demo.mjs, which writes
# ./data/demo.db, reopens and verifies it, and shows a tampered copy being refused. Ends with the CLI.
# Re-runnable: the build is skipped when it is up to date, and the demo starts with fresh files.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

need() { command -v "$1" >/dev/null || { echo "demo: $1 is required ($2)" >&2; exit 2; }; }
need node "Node.js 20 or newer"
need npm "it comes with Node.js"
need python3 "Python 3.11 or newer builds the engine"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || { echo "demo: Node.js 20 or newer is required, found $(node --version)" >&2; exit 2; }

# The engine wheel is built with pypa `build`; without it in python3, use the project's .venv.
if ! python3 -c 'import build' 2>/dev/null; then
  [[ -x .venv/bin/python ]] || scripts/setup.sh
  export PYTHON="$root/.venv/bin/python"
fi

if [[ ! -f js/node_modules/.package-lock.json || js/package-lock.json -nt js/node_modules/.package-lock.json ]]; then
  echo "==> npm ci (js/)"
  (cd js && npm ci --no-audit --no-fund --loglevel=error)
fi
stale=$(find py/nucleus pyproject.toml js/src js/scripts js/package.json -newer js/dist/index.js -print -quit 2>/dev/null || echo missing)
if [[ ! -f js/dist/index.js || ! -f js/dist/browser/manifest.json || -n "$stale" ]]; then
  echo "==> npm run build (js/): the engine wheel, the precompiled stdlib, the bundles (about a minute)"
  (cd js && npm run build --silent)
fi
if [[ ! -e examples/node_modules/@onoal/nucleus ]]; then
  echo "==> npm install (examples/): @onoal/nucleus from ./js"
  (cd examples && npm install --no-package-lock --no-audit --no-fund --loglevel=error)
fi

echo
node examples/demo.mjs
echo
echo "The same check from the command line (npx nucleus verify ./data/demo-tampered.db):"
set +e
examples/node_modules/.bin/nucleus verify ./data/demo-tampered.db
status=$?
set -e
echo "   -> exit status $status (0 intact, 1 tampered, 2 unusable)"
[[ $status -eq 1 ]]
