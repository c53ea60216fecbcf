"""Many CPython processes appending to one PostgreSQL ledger at once (tests_py/pg_writer.py): every resolved hash is
stored, the seqs are 0..n-1 without a gap, the chain verifies, another ledger of the database is untouched; and a
writer killed with SIGKILL in the middle of a batch leaves every append it resolved and nothing of that batch,
while the others go on."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import nucleus

pytestmark = pytest.mark.host_only  # processes and a PostgreSQL server

WRITER = Path(__file__).resolve().parent / "pg_writer.py"
PROCESS_TIMEOUT = 180  # seconds: no test may hang on a stuck writer


def _start(dsn: str, schema: str, ledger: str, writer: int, out: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, str(WRITER), dsn, schema, ledger, str(writer), "--out", str(out), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _reports(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def _wait(proc: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=PROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"a writer did not finish within {PROCESS_TIMEOUT} s:\n{err}")
    return proc.returncode, err


def _stored(postgres, schema: str, ledger: str) -> list[tuple[int, str, str]]:
    return [
        (int(seq), str(h), str(record_id))
        for seq, h, record_id in postgres.execute(
            f'SELECT seq, hash, record_id FROM "{schema}".entries WHERE ledger_id = %s ORDER BY seq', (ledger,)
        )
    ]


@pytest.fixture
def bystander(postgres, pg_schema) -> Any:
    """Ledger ``bystander`` in the same schema, with a few entries; its checkpoint, checked unchanged at the end."""
    with nucleus.Ledger.open("bystander", nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema)) as lg:
        lg.append_batch([{"id": f"b{i}", "stream": "s", "payload": {"i": i}} for i in range(5)])
        kept = lg.checkpoint()
    yield kept
    with nucleus.Ledger.open("bystander", nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema)) as lg:
        assert lg.checkpoint() == kept and len(lg) == 5
        lg.verify(kept)


def test_six_processes_append_to_one_ledger_at_once(postgres, pg_schema, bystander, tmp_path: Path):
    writers, appends, batches, batch_size = 6, 50, 2, 25
    go = tmp_path / "go"
    procs = [
        _start(
            postgres.dsn(),
            pg_schema,
            "shared",
            w,
            tmp_path / f"w{w}.jsonl",
            "--appends",
            str(appends),
            "--batches",
            str(batches),
            "--batch-size",
            str(batch_size),
            "--go",
            str(go),
        )
        for w in range(writers)
    ]
    time.sleep(0.5)  # every writer opens (and verifies) first; then all start appending together
    go.touch()
    for proc in procs:
        code, err = _wait(proc)
        assert code == 0, err

    total = writers * (appends + batches * batch_size)
    stored = _stored(postgres, pg_schema, "shared")
    assert [seq for seq, _, _ in stored] == list(range(total)), "seq must be 0..n-1 without a gap"
    hashes = {h for _, h, _ in stored}
    resolved = [h for w in range(writers) for r in _reports(tmp_path / f"w{w}.jsonl") for h in r["hashes"]]
    assert len(resolved) == total and set(resolved) <= hashes, "every resolved hash must be stored"
    # Each writer's records are all there, its batches each contiguous (one transaction).
    by_id = {record_id: seq for seq, _, record_id in stored}
    for w in range(writers):
        for b in range(batches):
            seqs = [by_id[f"w{w}-b{b}-{j}"] for j in range(batch_size)]
            assert seqs == list(range(seqs[0], seqs[0] + batch_size)), f"writer {w}'s batch {b} was split"
    # The writers interleaved (otherwise this test shows little).
    owners = [record_id.split("-")[0] for _, _, record_id in stored]
    assert sum(a != b for a, b in itertools.pairwise(owners)) > writers
    with nucleus.Ledger.open("shared", nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema)) as lg:
        assert len(lg) == total
        lg.verify()  # links, hashes, records, and timestamps non-decreasing across writers


def test_a_writer_killed_mid_batch_leaves_no_trace_of_it_and_the_others_go_on(
    postgres, pg_schema, bystander, tmp_path: Path
):
    victim_out, inserted = tmp_path / "victim.jsonl", tmp_path / "inserted"
    # The victim appends batches of 200; the third one pauses inside its transaction, its rows inserted.
    victim = _start(
        postgres.dsn(),
        pg_schema,
        "shared",
        99,
        victim_out,
        "--appends",
        "20",
        "--batches",
        "3",
        "--batch-size",
        "200",
        "--pause-after-insert",
        "60",
        "--inserted",
        str(inserted),
    )
    others = [
        _start(postgres.dsn(), pg_schema, "shared", w, tmp_path / f"w{w}.jsonl", "--appends", "60", "--batches", "2")
        for w in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while not inserted.exists():  # the first batch of 200 rows is inserted, not committed
            assert victim.poll() is None, victim.communicate()[1]
            assert time.monotonic() < deadline, "the victim never reached its paused batch"
            time.sleep(0.01)
        # The pause is in the first batch that has rows inserted: earlier batches (if any) have resolved.
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    for proc in others:  # blocked behind the victim's lock until the server noticed it was gone; then on
        code, err = _wait(proc)
        assert code == 0, err

    stored = _stored(postgres, pg_schema, "shared")
    assert [seq for seq, _, _ in stored] == list(range(len(stored)))
    hashes = {h for _, h, _ in stored}
    victim_resolved = [h for r in _reports(victim_out) for h in r["hashes"]]
    others_resolved = [h for w in range(2) for r in _reports(tmp_path / f"w{w}.jsonl") for h in r["hashes"]]
    assert set(victim_resolved) <= hashes and set(others_resolved) <= hashes
    assert len(others_resolved) == 2 * (60 + 2 * 25)
    batches_done = [r["batch"] for r in _reports(victim_out) if r["kind"] == "batch"]
    ids = [record_id for _, _, record_id in stored]
    for b in range(3):
        count = sum(record_id.startswith(f"w99-b{b}-") for record_id in ids)
        assert count == (200 if b in batches_done else 0), f"batch {b}: {count} of 200 rows stored"
    assert len(batches_done) < 3  # the paused batch never resolved
    with nucleus.Ledger.open("shared", nucleus.PostgresStorage(postgres.dsn(), schema=pg_schema)) as lg:
        lg.verify()
        lg.append({"id": "after", "stream": "s", "payload": {}})  # and the ledger goes on
