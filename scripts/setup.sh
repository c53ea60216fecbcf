#!/usr/bin/env bash
# Installs everything the demo and the tests need, from the package registries only: a Python virtualenv
# with the engine and the test tools (psycopg included), and (with --system) Debian's chromium, strace and
# postgresql (the PostgreSQL tests start throwaway servers of their own from its binaries: tests_py/pg_cluster.py).
# Idempotent: a second run only checks. Usage: scripts/setup.sh [--system]
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--system" ]]; then
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v strace >/dev/null || need+=(strace)
  # Debian keeps the server binaries in /usr/lib/postgresql/<version>/bin, off PATH.
  if ! command -v pg_ctl >/dev/null && ! compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    need+=(postgresql)
  fi
  if ((${#need[@]})); then
    echo "==> apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
echo "==> pip install -e .[test,browser]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test,browser]"
