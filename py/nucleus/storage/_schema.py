"""The SQLite schema, as embedded, versioned migrations (``PRAGMA user_version``)."""

from __future__ import annotations

import re
import sqlite3
from functools import cache

APPLICATION_ID = 0x4E55434C  # "NUCL": marks a SQLite file as a Nucleus ledger (PRAGMA application_id)
SCHEMA_VERSION = 3
# The entry format of a schema version (docs/FORMAT.md §7): schema 1 files hold format-1 entries (read-only
# here; nucleus.upgrade_file copies them into a new format-2 file), schema 2 and 3 files hold format-2 entries.
FORMAT_OF_SCHEMA = {1: 1, 2: 2, 3: 2}
# The first schema that keeps the Merkle tree (docs/FORMAT.md §9). A schema-2 file opened for writing is migrated
# to it, its tree built from the entries' hashes in the same transaction (SqliteStorage._add_tree).
TREE_SCHEMA = 3

# MIGRATIONS[n] takes a database from user_version n to n + 1. Append, never edit. A new file runs them all; an
# existing schema-1 file is never migrated in place, because its entries are hashed in format 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE entries (
        seq       INTEGER PRIMARY KEY,  -- 0-based, gap-free: the chain order
        hash      TEXT NOT NULL UNIQUE,
        prev_hash TEXT,
        record_id TEXT NOT NULL,        -- derived from record, checked by verify
        stream    TEXT NOT NULL,        -- derived from record, checked by verify
        timestamp INTEGER NOT NULL,     -- derived from record, checked by verify
        record    TEXT NOT NULL         -- canonical RFC 8785 text: the source of truth
    );
    CREATE INDEX entries_by_record_id ON entries(record_id, seq);
    CREATE INDEX entries_by_stream ON entries(stream, seq);
    CREATE INDEX entries_by_timestamp ON entries(timestamp, seq);
    CREATE TABLE grants (
        subject_oid  TEXT NOT NULL,
        resource_oid TEXT NOT NULL,
        action       TEXT NOT NULL,
        grant_json   TEXT NOT NULL,
        PRIMARY KEY (subject_oid, resource_oid, action)
    ) WITHOUT ROWID;
    """,
    # Format 2: the owner and every grant are entries of the chain (stream nucleus.acl), so the table goes; meta
    # holds only ledger_id and format_version, both bound by every entry's hash.
    """
    DROP TABLE grants;
    """,
    # The Merkle tree's stored levels (docs/FORMAT.md §9): the root of every complete subtree of 256**k leaves.
    """
    CREATE TABLE tree (
        level INTEGER NOT NULL,  -- 8, 16, 24, ...: the subtree holds 2**level leaves
        idx   INTEGER NOT NULL,  -- its leaves are seqs idx * 2**level ... (idx + 1) * 2**level - 1
        hash  BLOB NOT NULL,     -- its RFC 9162 root, 32 bytes
        PRIMARY KEY (level, idx)
    ) WITHOUT ROWID;
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION


# A statement's words, numbers and single punctuation marks, comments and spacing dropped: two spellings of one
# definition compare equal (a file written by another tool, bench/baseline/ledger.mjs), any change of meaning not.
_TOKENS = re.compile(r"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]")
_COMMENT = re.compile(r"--[^\n]*")


def schema_tokens(sql: str) -> str:
    """``sql`` as its tokens (case-folded, one space apart), without comments."""
    return " ".join(_TOKENS.findall(_COMMENT.sub(" ", sql))).casefold()


@cache
def schema_tables(version: int) -> dict[str, str]:
    """The tables of a schema-``version`` file, name → ``schema_tokens`` of its ``CREATE TABLE``: what its
    ``sqlite_master`` must hold for them (an edited definition, e.g. ``COLLATE NOCASE`` on ``stream``, changes
    what a query by stream matches in a file whose entries all verify)."""
    conn = sqlite3.connect(":memory:")
    try:
        for migration in MIGRATIONS[:version]:
            conn.executescript(migration)
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {name: schema_tokens(sql) for name, sql in rows}
