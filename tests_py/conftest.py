"""Shared fixtures. The engine is imported from py/ so the suite runs from a plain checkout too."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore the same examples on every run (a red CI is then a real regression, reproducible
# from the same commit); NUCLEUS_HYPOTHESIS=explore draws new ones, for a developer hunting bugs.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("NUCLEUS_HYPOTHESIS") == "explore" else "repeatable")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "py") not in sys.path:
    sys.path.insert(0, str(ROOT / "py"))

import nucleus  # noqa: E402
from support import PYODIDE_SUMMARY  # noqa: E402

BACKENDS = ["memory", "sqlite"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of a storage backend; tests using it run once per backend."""
    return request.param


@pytest.fixture
def make_storage(backend: str, tmp_path: Path):
    """A factory of storages of ``backend``; for SQLite every call opens the same file in tmp_path."""
    path = tmp_path / "ledger.db"

    def make() -> nucleus.Storage:
        return nucleus.MemoryStorage() if backend == "memory" else nucleus.SqliteStorage(path)

    return make


@pytest.fixture
def ledger(make_storage):
    """An open, empty ledger ``test`` on each backend, closed after the test."""
    with nucleus.Ledger.open("test", make_storage()) as lg:
        yield lg


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster for the whole session (tests_py/pg_cluster.py): started on first use, stopped
    and deleted at the end, also when tests fail. Inside Pyodide, which cannot start it, the cluster whose DSN the
    host passed in ``NUCLEUS_TEST_PG_DSN`` (test_pyodide_pytest.py does); a run without it fails these tests."""
    import pg_cluster

    if sys.platform == "emscripten":
        dsn = os.environ.get(pg_cluster.DSN_VARIABLE)
        if not dsn:
            pytest.fail(
                f"inside Pyodide the PostgreSQL tests need a running cluster: set {pg_cluster.DSN_VARIABLE} to its "
                "socket DSN (tests_py/test_pyodide_pytest.py starts one and does), or deselect them",
                pytrace=False,
            )
        yield pg_cluster.attach(dsn)
        return
    cluster = pg_cluster.start_cluster()
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def pg_schema(postgres) -> str:
    """A schema of its own for one test (PostgresStorage creates it on first open); dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    if postgres.running:
        postgres.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Show the closing line of the suite's run inside Pyodide, when test_pyodide_pytest.py ran it."""
    summary = config.stash.get(PYODIDE_SUMMARY, None)
    if summary is not None:
        terminalreporter.write_sep("-", "the same suite inside Pyodide (tests_py/pyodide/run_pytest.mjs)")
        terminalreporter.write_line(f"pyodide: {summary}")
