"""The PostgreSQL schema, as embedded, versioned migrations (the ``schema_version`` row of ``meta``).

One schema (default ``nucleus``) holds any number of ledgers. The ledger id leads every key, so that a distributed
PostgreSQL (Citus) can distribute both tables by it and keep each ledger's rows and its lock row on one node.
docs/FORMAT.md §5b is the specification.
"""

from __future__ import annotations

APPLICATION = "nucleus"  # the meta row that marks a schema as a Nucleus store
SCHEMA_VERSION = 2
# The entry format every ledger of a schema version holds (docs/FORMAT.md §7): PostgreSQL never held format 1.
FORMAT_OF_SCHEMA = {1: 2, 2: 2}
# The first schema version that keeps the Merkle tree (docs/FORMAT.md §9): migrating to it builds every ledger's
# tree from its entries' hashes in the same transaction (PostgresStorage._migrate).
TREE_SCHEMA = 2

# MIGRATIONS[n] takes a schema from version n to n + 1; ``{s}`` is the quoted schema name. Append, never edit. They
# run in one transaction under an advisory lock, so two processes opening a new database at once do not race.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE {s}.meta (
        key   text PRIMARY KEY,
        value text NOT NULL
    );
    -- One row per ledger: its format, and its head, which is also the ledger's write lock. Every append takes it
    -- with SELECT ... FOR UPDATE and moves it in the same transaction as the entries it writes.
    CREATE TABLE {s}.ledgers (
        ledger_id      text PRIMARY KEY,
        format_version integer NOT NULL,
        size           bigint NOT NULL,  -- entries committed: the next seq
        head           text,             -- the hash of entry size - 1; NULL while empty
        created_at     timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE {s}.entries (
        ledger_id text NOT NULL,
        seq       bigint NOT NULL,     -- 0-based, gap-free per ledger: the chain order
        hash      text NOT NULL,
        prev_hash text,
        record_id text NOT NULL,       -- derived from record, checked by verify
        stream    text NOT NULL,       -- derived from record, checked by verify
        timestamp bigint NOT NULL,     -- derived from record, checked by verify
        record    text NOT NULL,       -- canonical RFC 8785 text: the source of truth
        PRIMARY KEY (ledger_id, seq),
        UNIQUE (ledger_id, hash)
    );
    CREATE INDEX entries_by_record_id ON {s}.entries (ledger_id, record_id, seq);
    CREATE INDEX entries_by_stream ON {s}.entries (ledger_id, stream, seq);
    CREATE INDEX entries_by_timestamp ON {s}.entries (ledger_id, timestamp, seq);
    """,
    # The Merkle tree's stored levels (docs/FORMAT.md §9): the root of every complete subtree of 256**k leaves,
    # written in the same transaction as the entries that complete it.
    """
    CREATE TABLE {s}.tree (
        ledger_id text NOT NULL,
        level     integer NOT NULL,  -- 8, 16, 24, ...: the subtree holds 2**level leaves
        idx       bigint NOT NULL,   -- its leaves are seqs idx * 2**level ... (idx + 1) * 2**level - 1
        hash      bytea NOT NULL,    -- its RFC 9162 root, 32 bytes
        PRIMARY KEY (ledger_id, level, idx)
    );
    """,
]
assert len(MIGRATIONS) == SCHEMA_VERSION

# The columns of each table once every migration has run, as ``PostgresStorage`` reads them back from the catalog:
# name, type (``format_type``) and ``!`` for NOT NULL, in column order. A store whose tables differ (a column of
# another type such as citext, another collation, an extra or missing column) is refused at open, as is one with a
# trigger or rule on them: no hash covers the definitions, and they change what reads match and what appends do.
# tests_py/test_postgres_tamper.py checks that a freshly migrated schema reads back exactly this.
TABLE_COLUMNS: dict[str, str] = {
    "entries": "ledger_id text!, seq bigint!, hash text!, prev_hash text, record_id text!, stream text!, "
    "timestamp bigint!, record text!",
    "ledgers": "ledger_id text!, format_version integer!, size bigint!, head text, "
    "created_at timestamp with time zone!",
    "meta": "key text!, value text!",
    "tree": "ledger_id text!, level integer!, idx bigint!, hash bytea!",
}

# The shape of the schema's tables as ``TABLE_COLUMNS`` spells it, a non-default collation marked ``collate``.
TABLE_SHAPE_SQL = """
    SELECT c.relname,
           string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                      || CASE WHEN a.attnotnull THEN '!' ELSE '' END
                      || CASE WHEN a.attcollation IN (0, 100) THEN '' ELSE ' collate' END, ', ' ORDER BY a.attnum)
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    GROUP BY c.relname
"""

# Triggers and rules on the schema's tables (a rule can turn an INSERT into anything).
HOOKS_SQL = """
    SELECT 'trigger ' || quote_literal(t.tgname) || ' on ' || c.relname
    FROM pg_catalog.pg_trigger t
    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND NOT t.tgisinternal
    UNION ALL
    SELECT 'rule ' || quote_literal(rulename) || ' on ' || tablename FROM pg_catalog.pg_rules WHERE schemaname = %s
    ORDER BY 1
"""
