"""This whole suite again, inside real Pyodide 314 (CPython 3.14 on WebAssembly) under Node.

Downloads the pinned pure-Python wheels of tests_py/pyodide/requirements.txt once into .cache/pyodide-wheels/
(pip, from PyPI), then runs tests_py/pyodide/run_pytest.mjs, which installs them into Pyodide and calls
``pytest.main`` there with ``-m "not host_only"``. Pyodide's own pytest summary is shown at the end of this run.
The PostgreSQL tests in there reach the session's throwaway cluster (conftest ``postgres``, whose DSN this passes in
``NUCLEUS_TEST_PG_DSN``) through the npm package's own channel (node-postgres in a worker thread).
Needs js/node_modules/pyodide (``npm ci`` in js/, which scripts/test.sh runs first).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pg_cluster import DSN_VARIABLE
from support import PYODIDE_SUMMARY

ROOT = Path(__file__).resolve().parents[1]
PYODIDE = ROOT / "js" / "node_modules" / "pyodide"
REQUIREMENTS = ROOT / "tests_py" / "pyodide" / "requirements.txt"
WHEELS = ROOT / ".cache" / "pyodide-wheels"


def _pins() -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines())
    return dict(line.split("==") for line in lines if line)


def _wheels() -> Path:
    """The wheel cache, (re)filled with pip when requirements.txt changed since the last download."""
    stamp = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if (WHEELS / "STAMP").exists() and (WHEELS / "STAMP").read_text() == stamp:
        return WHEELS
    shutil.rmtree(WHEELS, ignore_errors=True)
    WHEELS.mkdir(parents=True)
    # Pure-Python wheels for CPython 3.14, whatever Python runs pip; --no-deps: requirements.txt pins them all.
    target = ["--implementation", "py", "--python-version", "3.14", "--abi", "none", "--platform", "any"]
    pip = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:"]
    done = subprocess.run(
        [*pip, "--no-deps", *target, "-r", str(REQUIREMENTS), "-d", str(WHEELS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"pip download of the Pyodide test wheels failed:\n{done.stderr}"
    assert len(list(WHEELS.glob("*-none-any.whl"))) == len(_pins())
    (WHEELS / "STAMP").write_text(stamp)
    return WHEELS


def test_the_pyodide_pins_match_the_test_extra() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    pinned = dict(req.split("==") for req in extra["test"])
    for name in ("pytest", "hypothesis", "rfc8785"):
        assert _pins()[name] == pinned[name], f"tests_py/pyodide/requirements.txt pins {name} unlike pyproject.toml"


@pytest.mark.host_only  # starts Node, which starts Pyodide: this is the Pyodide run itself
def test_the_suite_passes_inside_pyodide(tmp_path: Path, request: pytest.FixtureRequest, postgres) -> None:
    assert shutil.which("node"), "Node.js is needed to run Pyodide"
    assert (PYODIDE / "pyodide.js").exists(), f"{PYODIDE} is missing: run `npm ci` in js/"
    runner = ROOT / "tests_py" / "pyodide" / "run_pytest.mjs"
    args = ["tests_py", "-q", "-m", "not host_only"]
    run = subprocess.run(
        ["node", str(runner), str(PYODIDE), str(_wheels()), str(tmp_path), *args],
        cwd=ROOT,
        env={**os.environ, DSN_VARIABLE: postgres.dsn()},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = run.stdout.strip().splitlines()
    summary = lines[-1].strip("= ") if lines else "(no output)"
    request.config.stash[PYODIDE_SUMMARY] = summary
    assert run.returncode == 0, f"pytest inside Pyodide exited {run.returncode}:\n{run.stdout[-20000:]}\n{run.stderr}"
    assert re.fullmatch(r"\d+ passed, \d+ deselected in .*", summary), summary
