"""The ``nucleus`` command (``python -m nucleus``) on ledgers in PostgreSQL: ``<db>`` given as a ``postgresql://``
URL with ``--ledger`` (and ``--schema``), against the session's throwaway cluster (tests_py/pg_cluster.py). The CLI
test table (tests_py/cli_table.json) describes files in a directory and cannot hold a server, hence this file; the
npm bin runs a few of the same in js/test/postgres.test.mjs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pg_cluster

pytestmark = pytest.mark.host_only

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run_cli(argv: list[str], cwd: Path, stdin: str = "") -> Result:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "py"), "NO_COLOR": "1"}
    env.pop("PGPASSWORD", None)
    done = subprocess.run(
        [sys.executable, "-m", "nucleus", *argv],
        cwd=cwd,
        env=env,
        input=stdin.encode(),
        capture_output=True,
        timeout=120,
    )
    return Result(done.returncode, done.stdout.decode(), done.stderr.decode())


@pytest.fixture
def url(postgres: Any) -> str:
    """A URL over TCP with the password in it: what a user types, and what must never be printed."""
    return postgres.tcp_dsn()


def at(url: str, schema: str, ledger: str = "orders") -> list[str]:
    return [url, "--ledger", ledger, "--schema", schema]


def append(url: str, schema: str, cwd: Path, n: int, ledger: str = "orders") -> None:
    for i in range(n):
        payload = json.dumps({"n": i})
        r = run_cli(["append", *at(url, schema, ledger), "--stream", "s", "--id", f"r-{i}", "--payload", payload], cwd)
        assert r.code == 0, r.stderr


def no_password(r: Result) -> None:
    assert pg_cluster.PASSWORD not in r.stdout + r.stderr
    assert "nucleus-test" not in r.stdout + r.stderr


def test_append_verify_info_query_export(url: str, pg_schema: str, tmp_path: Path) -> None:
    r = run_cli(
        ["append", *at(url, pg_schema), "--stream", "s", "--id", "a", "--payload", '{"x":1}', "--json"], tmp_path
    )
    assert r.code == 0, r.stderr
    appended = r.json()
    assert appended["ledgerId"] == "orders" and appended["seq"] == 0 and appended["schema"] == pg_schema
    assert appended["url"].startswith("postgresql://nucleus:***@")
    no_password(r)
    append(url, pg_schema, tmp_path, 3)

    r = run_cli(["verify", *at(url, pg_schema)], tmp_path)
    assert r.code == 0, r.stderr
    assert 'verifies: ledger "orders"' in r.stdout and "4 entries" in r.stdout
    no_password(r)
    r = run_cli(["verify", *at(url, pg_schema), "--json"], tmp_path)
    verified = r.json()
    assert verified["ok"] is True and verified["entries"] == 4 and verified["caveats"] == []
    r = run_cli(["checkpoint", *at(url, pg_schema), "--json"], tmp_path)
    assert r.code == 0, r.stderr
    assert verified["checkpoint"] == r.json()["checkpoint"] and verified["checkpoint"]["root"]  # Merkle root included

    r = run_cli(["info", *at(url, pg_schema), "--json"], tmp_path)
    assert r.code == 0, r.stderr
    info = r.json()
    assert info["ledgerId"] == "orders" and info["entries"] == 4 and info["formatVersion"] == 2
    assert info["latestHash"] == verified["latestHash"] and info["schemaVersion"] >= 1
    r = run_cli(["info", *at(url, pg_schema)], tmp_path)
    assert "ledger id     orders" in r.stdout and "lock" not in r.stdout and "file size" not in r.stdout
    no_password(r)

    r = run_cli(["query", *at(url, pg_schema), "--id", "r-2", "--json"], tmp_path)
    assert r.code == 0, r.stderr
    assert [rec["payload"] for rec in r.json()["records"]] == [{"n": 2}]

    r = run_cli(["export", *at(url, pg_schema)], tmp_path)
    assert r.code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 5 and json.loads(lines[0])["ledger_id"] == "orders"


def test_import_into_a_new_ledger(url: str, pg_schema: str, postgres: Any, tmp_path: Path) -> None:
    append(url, pg_schema, tmp_path, 3)
    r = run_cli(["export", *at(url, pg_schema), "--out", "orders.jsonl"], tmp_path)
    assert r.code == 0, r.stderr
    other = f"{pg_schema}_copy"
    try:
        r = run_cli(["import", "orders.jsonl", *at(url, other), "--json"], tmp_path)
        assert r.code == 0, r.stderr
        assert r.json()["imported"] == 3 and r.json()["created"] is True
        no_password(r)
        # Again: nothing to add; and from stdin.
        r = run_cli(["import", "-", *at(url, other)], tmp_path, (tmp_path / "orders.jsonl").read_text())
        assert r.code == 0 and "imported 0 entries" in r.stdout
        r = run_cli(["export", *at(url, other)], tmp_path)
        assert r.stdout == (tmp_path / "orders.jsonl").read_text()
        # An export of another ledger id is refused, and creates no ledger.
        r = run_cli(["import", "orders.jsonl", *at(url, other, "elsewhere"), "--json"], tmp_path)
        assert r.code == 2 and r.json()["ok"] is False
        assert (
            run_cli(["info", *at(url, other, "elsewhere"), "--json"], tmp_path).json()["error"]["code"] == "NOT_FOUND"
        )
    finally:
        postgres.execute(f'DROP SCHEMA IF EXISTS "{other}" CASCADE')


def test_a_tampered_row_fails_verify_with_its_seq_and_kind(url: str, pg_schema: str, postgres: Any, tmp_path: Path):
    append(url, pg_schema, tmp_path, 4)
    postgres.execute(
        f'UPDATE "{pg_schema}".entries SET record = replace(record, \'"n":2\', \'"n":7\') '
        "WHERE ledger_id = 'orders' AND seq = 2"
    )
    r = run_cli(["verify", *at(url, pg_schema)], tmp_path)
    assert r.code == 1, r.stderr
    assert "breaks at seq 2 (hash)" in r.stdout
    r = run_cli(["verify", *at(url, pg_schema), "--json"], tmp_path)
    assert r.code == 1
    error = r.json()["error"]
    assert error["code"] == "CHAIN_INVALID" and error["seq"] == 2 and error["kind"] == "hash"
    # The read commands verify first, too.
    assert run_cli(["export", *at(url, pg_schema)], tmp_path).code == 1


def test_refusals(url: str, pg_schema: str, postgres: Any, tmp_path: Path) -> None:
    for argv in (["verify", url], ["info", url, "--schema", pg_schema], ["export", url], ["query", url]):
        r = run_cli([*argv, "--json"], tmp_path)
        assert r.code == 2 and r.json()["error"]["code"] == "USAGE", argv
        assert "--ledger" in r.json()["error"]["message"]
        no_password(r)
    r = run_cli(["append", url, "--stream", "s", "--id", "a", "--payload", "{}"], tmp_path)
    assert r.code == 2 and "--ledger" in r.stderr
    no_password(r)
    r = run_cli(["upgrade", "old.db", url, "--ledger", "orders", "--json"], tmp_path)
    assert r.code == 2 and r.json()["error"]["code"] == "USAGE" and "SQLite files only" in r.stderr
    no_password(r)
    r = run_cli(["verify", "ledger.db", "--schema", pg_schema], tmp_path)
    assert r.code == 2 and "--schema is only for a PostgreSQL URL" in r.stderr
    # A missing ledger is NOT_FOUND, and reading creates neither it nor its schema.
    r = run_cli(["verify", *at(url, pg_schema), "--json"], tmp_path)
    assert r.code == 2 and r.json()["error"]["code"] == "NOT_FOUND"
    assert postgres.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (pg_schema,)) == [(0,)]


def test_a_wrong_password_is_a_storage_error_that_shows_no_password(postgres: Any, pg_schema: str, tmp_path: Path):
    wrong = postgres.tcp_dsn(password="nucleus-test-wrong-secret")
    for argv in (["verify", *at(wrong, pg_schema)], ["append", *at(wrong, pg_schema), "--stream", "s", "--id", "a"]):
        r = run_cli([*argv, "--payload", "{}"] if argv[0] == "append" else argv, tmp_path)
        assert r.code == 2
        assert "STORAGE_ERROR" in r.stderr
        assert "wrong-secret" not in r.stdout + r.stderr
    r = run_cli(["info", *at(wrong, pg_schema), "--json"], tmp_path)
    assert r.code == 2
    error = r.json()["error"]
    assert error["code"] == "STORAGE_ERROR" and error["details"]["reason"] == "auth"
    assert "wrong-secret" not in r.stdout + r.stderr


def test_password_masking() -> None:
    from nucleus.cli._files import mask_url, redact, secrets_in

    assert mask_url("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert mask_url("postgres://u:a/b@c@h/db?sslmode=disable") == "postgres://u:***@h/db?sslmode=disable"
    assert mask_url("postgresql://h/db?user=u&password=pw&x=1") == "postgresql://h/db?user=u&password=***&x=1"
    assert mask_url("postgresql://u@h/db") == "postgresql://u@h/db"
    secrets = secrets_in(["verify", "--x=postgresql://u:p%40ss@h/db"])
    assert redact("bad p%40ss and p@ss", secrets) == "bad *** and ***"


def test_a_key_value_string_is_a_file_name_whose_password_is_not_echoed(tmp_path: Path) -> None:
    r = run_cli(["verify", "host=localhost password=kv-secret dbname=x", "--json"], tmp_path)
    assert r.code == 2 and r.json()["error"]["code"] == "NOT_FOUND"
    assert "kv-secret" not in r.stdout + r.stderr and "password=***" in r.stderr
