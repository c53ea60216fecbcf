"""The indexes a SQLite ledger's reads go through, and the SQL that checks one against the entries.

An index is derived data that no entry hash covers: a file edited with ``PRAGMA writable_schema`` (rebuild an
index from another definition, then put the original text back) or at the page level keeps a chain that verifies
while its indexes hide entries, list entries under values they do not hold, or list one twice. SQLite takes an
index's word for the values it keeps, so each read names the one index it may use (``INDEXED BY``, or ``NOT
INDEXED``: the planner never picks an index that was not checked, even steered by statistics tables a file may
carry), and ``SqliteStorage`` checks that index against the entries before its first use in a session
(docs/FORMAT.md §5, "Indexes").
"""

from __future__ import annotations

from dataclasses import dataclass

# The lowest seq SQLite can store: a walk from it reaches a row at a negative seq too.
MIN_SEQ = -(2**63)
# Every row of entries, counted on the table itself (SQLite would count its smallest index, which may be forged).
COUNT_ROWS = f"SELECT count(*) FROM entries NOT INDEXED WHERE seq >= {MIN_SEQ}"


def _on(expression: str, alias: str) -> str:
    """``expression`` with its ``{t}.`` naming the table called ``alias`` (empty: unqualified)."""
    return expression.replace("{t}.", f"{alias}." if alias else "")


@dataclass(frozen=True, slots=True)
class SqliteIndex:
    """One index on ``entries``: its name, its ``CREATE`` statement as ``sqlite_master`` keeps it (``None`` for the
    one SQLite makes for a ``UNIQUE`` column), the condition an entry meets to be in it and the value it keeps
    for the entry. ``holds`` and ``value`` name the table as ``{t}``."""

    name: str
    sql: str | None
    holds: str
    value: str

    def terms(self, alias: str) -> tuple[str, str]:
        """``(holds, value)`` for the table called ``alias`` (empty: unqualified)."""
        return _on(self.holds, alias), _on(self.value, alias)

    @property
    def clause(self) -> str:
        """What follows ``FROM entries`` in a read that goes through this index."""
        return f'INDEXED BY "{self.name}"'

    def gap_sql(self) -> str:
        """The first entry (seq in ``? … ?-1``) the index should hold that it does not hold with its value: a
        walk of the entries in seq order that looks each one up in the index."""
        t_holds, t_value = self.terms("t")
        u_holds, u_value = self.terms("u")
        return (
            f"SELECT t.seq FROM entries AS t NOT INDEXED WHERE t.seq >= ? AND t.seq < ? AND {t_holds} AND {t_value} "
            f"IS NOT NULL AND NOT EXISTS (SELECT 1 FROM entries AS u {self.clause} WHERE {u_holds} AND "
            f"{u_value} = {t_value} AND u.seq = t.seq) LIMIT 1"
        )

    def count_sql(self) -> tuple[str, str]:
        """``(entries it should hold, entries it holds)``: with no gap, equal counts leave no room for an entry
        listed under a wrong value or listed twice (each entry's own listing is one of those counted)."""
        holds, value = self.terms("")
        return (
            f"{COUNT_ROWS} AND {holds} AND {value} IS NOT NULL",
            f"SELECT count(*) FROM entries {self.clause} WHERE {holds} AND {value} IS NOT NULL",
        )


def _column(name: str, column: str, *, unique: bool = False) -> SqliteIndex:
    sql = None if unique else f"CREATE INDEX {name} ON entries({column}, seq)"
    return SqliteIndex(name, sql, "1", f"{{t}}.{column}")


# The schema's own indexes (storage/_schema.py), by the column a read looks up.
BY_HASH = _column("sqlite_autoindex_entries_1", "hash", unique=True)
BY_COLUMN = {
    "record_id": _column("entries_by_record_id", "record_id"),
    "stream": _column("entries_by_stream", "stream"),
    "timestamp": _column("entries_by_timestamp", "timestamp"),
}
SCHEMA_INDEXES = (BY_HASH, *BY_COLUMN.values())

# Indexes on the payload fields modules filter on (docs/FORMAT.md §5): partial expression indexes, kept by SQLite in
# each append's own transaction. Their condition, the field's name as a JSON key somewhere in the record's canonical
# text, costs an append one byte search per index and keeps entries without the field out of the index; a query
# repeats it word for word, which is what lets SQLite use the index.
PAYLOAD_PREFIX = "entries_by_payload_"


def payload_index(field: str) -> SqliteIndex:
    """The index of payload field ``field`` (a ``FIELD_NAME``: nothing in it needs quoting). SQLite's names are
    case-insensitive and field names are not, so an upper-case letter is written ``^`` + lower case."""
    name = PAYLOAD_PREFIX + "".join(f"^{c.lower()}" if c.isupper() else c for c in field)
    holds = f"instr({{t}}.record, '\"{field}\":') > 0"
    value = f"json_extract({{t}}.record, '$.payload.{field}')"
    return SqliteIndex(name, f'CREATE INDEX "{name}" ON entries({_on(value, "")}) WHERE {_on(holds, "")}', holds, value)
