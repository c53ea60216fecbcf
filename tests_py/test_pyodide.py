"""The engine inside real Pyodide 314 under Node: import, append, query, verify, SQLite on a NODEFS mount.

Needs js/node_modules/pyodide (``npm ci`` in js/, which scripts/test.sh runs first).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYODIDE = ROOT / "js" / "node_modules" / "pyodide"


@pytest.mark.host_only  # starts Node, which starts Pyodide
def test_engine_runs_inside_pyodide(tmp_path: Path) -> None:
    assert shutil.which("node"), "Node.js is needed to run Pyodide"
    assert (PYODIDE / "pyodide.js").exists(), f"{PYODIDE} is missing: run `npm ci` in js/"
    run = subprocess.run(
        ["node", str(ROOT / "tests_py" / "pyodide_smoke.mjs"), str(PYODIDE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["platform"] == "emscripten"
    assert seen["python"].startswith("3.14")
    assert seen["memory_len"] == 50
    assert seen["query_total"] == 50
    assert seen["disk_len"] == 51
    assert seen["reopened_len"] == 51
    assert seen["same_prefix"] is True
    assert seen["verified"] is True
    # Under Emscripten the engine syncs the WAL itself after each commit; the host hook must see them.
    assert seen["fsyncs"] >= 2
    assert (tmp_path / "smoke.db").stat().st_size > 0
