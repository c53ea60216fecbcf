"""Turns a stored vector (vectors/chain/*.json with a ``stored`` member, docs/FORMAT.md §8) into a SQLite ledger
file: the tables of an existing file, made by the engine for the vector's ledger id, are replaced by the vector's
``meta`` and ``entries`` rows, as a forger with the sqlite3 shell would. Standard library only, so the Node tests
can run it with any ``python3``: ``python3 vectors/stored_file.py <ledger.db> <vector.json>``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from typing import Any

COLUMNS = ("seq", "hash", "prev_hash", "record_id", "stream", "timestamp", "record")


def write_tables(db_path: str, stored: dict[str, Any]) -> None:
    """Replace the ``meta`` and ``entries`` rows of the ledger file ``db_path`` with those of ``stored``."""
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            conn.execute("DELETE FROM meta")
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(stored["meta"].items()))
            conn.execute("DELETE FROM entries")
            conn.executemany(
                f"INSERT INTO entries ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                [tuple(row[c] for c in COLUMNS) for row in stored["entries"]],
            )
    finally:
        conn.close()


if __name__ == "__main__":
    with open(sys.argv[2], encoding="utf-8") as f:
        write_tables(sys.argv[1], json.load(f)["stored"])
