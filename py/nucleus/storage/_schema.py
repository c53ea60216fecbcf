"""The SQLite schema, as embedded, versioned migrations (``PRAGMA user_version``)."""

from __future__ import annotations

APPLICATION_ID = 0x4E55434C  # "NUCL": marks a SQLite file as a Nucleus ledger (PRAGMA application_id)
SCHEMA_VERSION = 1

# MIGRATIONS[n] takes a database from user_version n to n + 1. Append, never edit.
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
]
assert len(MIGRATIONS) == SCHEMA_VERSION
