"""Every public function that takes a dict of options refuses a key it does not know, with a stable code and a
message naming the key: a typo is never ignored. One row per function; a new public function taking a dict
needs a new row here.

Keyword arguments are Python's own business: a misspelt one (``SqliteStorage(path, durabilty="fast")``) raises
``TypeError`` before the engine runs, which is the language's stable error for it; those rows say so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nucleus
from support import T0, raises_code, rec

OWNER = "oid:onoal:human:owner"
ALICE = "oid:onoal:human:alice"
CTX = {"requesterOid": OWNER}
GRANT = {
    "subjectOid": ALICE,
    "resourceOid": "oid:onoal:ledger:opts",
    "action": "write",
    "grantedBy": OWNER,
    "grantedAt": 1,
}


@pytest.fixture
def lg(tmp_path: Path):
    """A SQLite ledger with access control and the proof module on, holding one entry."""
    storage = nucleus.SqliteStorage(tmp_path / "opts.db")
    with nucleus.Ledger.open("opts", storage, acl="inMemory", owner=OWNER, modules=[nucleus.ProofModule()]) as ledger:
        ledger.append(rec(0), CTX)
        yield ledger


def _open(**kwargs: Any) -> Callable[[], Any]:
    return lambda: nucleus.Ledger.open("x", **kwargs)


# (function, expected code, the misspelt key, call on the ledger fixture)
ROWS: list[tuple[str, str, str, Callable[[nucleus.Ledger], Any]]] = [
    # configuration: INVALID_CONFIG
    ("Ledger.open(options=)", "INVALID_CONFIG", "maxEntires", lambda lg: _open(options={"maxEntires": 5})()),
    ("LedgerOptions.parse", "INVALID_CONFIG", "uniqueID", lambda lg: nucleus.LedgerOptions.parse({"uniqueID": True})),
    (
        "Ledger.open(modules=[{...}])",
        "INVALID_CONFIG",
        "confg",
        lambda lg: _open(modules=[{"id": "proof", "version": "1.0.0", "confg": {}}])(),
    ),
    (
        "Ledger.open(modules=[{config}])",
        "INVALID_CONFIG",
        "strem",
        lambda lg: _open(modules=[{"id": "proof", "config": {"strem": "p"}}])(),
    ),
    ("ProofModule(config)", "INVALID_CONFIG", "strem", lambda lg: nucleus.ProofModule({"strem": "p"})),
    ("AssetModule(config)", "INVALID_CONFIG", "requiredFeilds", lambda lg: nucleus.AssetModule({"requiredFeilds": []})),
    # an unknown value of verify= is refused as a misspelt key is (the message names it)
    (
        "Ledger.open(verify=)",
        "INVALID_CONFIG",
        "from_chekpoint",
        lambda lg: _open(checkpoint={"size": 0, "hash": None}, verify="from_chekpoint")(),
    ),
    # checkpoints: INVALID_ARGUMENT wherever they are given
    (
        "Checkpoint.parse",
        "INVALID_ARGUMENT",
        "hsh",
        lambda lg: nucleus.Checkpoint.parse({"size": 0, "hash": None, "hsh": ""}),
    ),
    (
        "Ledger.open(checkpoint=)",
        "INVALID_ARGUMENT",
        "hsh",
        lambda lg: _open(checkpoint={"size": 0, "hash": None, "hsh": ""})(),
    ),
    (
        "Ledger.verify(checkpoint)",
        "INVALID_ARGUMENT",
        "sise",
        lambda lg: lg.verify({**lg.checkpoint().to_json(), "sise": 1}),
    ),
    (
        "Ledger.verify_storage(checkpoint)",
        "INVALID_ARGUMENT",
        "sise",
        lambda lg: lg.verify_storage({**lg.checkpoint().to_json(), "sise": 1}),
    ),
    # query filters: INVALID_ARGUMENT, as a dict and as keyword arguments
    ("Ledger.query(filters)", "INVALID_ARGUMENT", "strem", lambda lg: lg.query({"strem": "events"})),
    ("Ledger.query(**filters)", "INVALID_ARGUMENT", "strem", lambda lg: lg.query(strem="events")),
    (
        "Ledger.query(module_filters)",
        "INVALID_ARGUMENT",
        "subject_oidd",
        lambda lg: lg.query({"moduleFilters": {"subject_oidd": ALICE}}),
    ),
    # records: INVALID_RECORD
    (
        "Ledger.append(record)",
        "INVALID_RECORD",
        "paylod",
        lambda lg: lg.append({"id": "a", "stream": "s", "paylod": {}}, CTX),
    ),
    (
        "Ledger.append_batch(records)",
        "INVALID_RECORD",
        "strem",
        lambda lg: lg.append_batch([rec(1), {"id": "b", "strem": "s", "payload": {}, "timestamp": T0 + 2}], CTX),
    ),
    # contexts: INVALID_CONTEXT, wherever one is taken
    (
        "Ledger.append(record, context)",
        "INVALID_CONTEXT",
        "timestmp",
        lambda lg: lg.append(rec(1), {**CTX, "timestmp": 1}),
    ),
    (
        "Ledger.import_entries(data, context)",
        "INVALID_CONTEXT",
        "requestrOid",
        lambda lg: lg.import_entries(lg.export(), {"requestrOid": OWNER}),
    ),
    ("acl.grant(grant, context)", "INVALID_CONTEXT", "metdata", lambda lg: lg.acl.grant(GRANT, {**CTX, "metdata": {}})),
    (
        "acl.revoke(..., context)",
        "INVALID_CONTEXT",
        "metdata",
        lambda lg: lg.acl.revoke(ALICE, "oid:onoal:ledger:opts", "write", {**CTX, "metdata": {}}),
    ),
    # grants: INVALID_ARGUMENT
    ("acl.grant(grant)", "INVALID_ARGUMENT", "actoin", lambda lg: lg.acl.grant({**GRANT, "actoin": "read"}, CTX)),
]


@pytest.mark.parametrize(("fn", "code", "key", "call"), ROWS, ids=[row[0] for row in ROWS])
def test_a_misspelt_key_is_refused_with_its_code(
    lg: nucleus.Ledger, fn: str, code: str, key: str, call: Callable[[nucleus.Ledger], Any]
) -> None:
    before = (len(lg), lg.latest_hash, lg.acl.list_grants(ALICE))
    err = raises_code(code, lambda: call(lg))
    assert key in err.message, f"{fn}: the message names {key!r}: {err.message}"
    assert (len(lg), lg.latest_hash, lg.acl.list_grants(ALICE)) == before, f"{fn}: the ledger changed"


@pytest.mark.parametrize(
    "call",
    [
        lambda tmp: nucleus.SqliteStorage(tmp / "k.db", durabilty="fast"),
        lambda tmp: nucleus.Ledger.open("x", optoins={}),
        lambda tmp: nucleus.Ledger.open("x", verfy="full"),
        lambda tmp: nucleus.RequestContext(OWNER, timestmp=1),
    ],
    ids=["SqliteStorage(durabilty=)", "Ledger.open(optoins=)", "Ledger.open(verfy=)", "RequestContext(timestmp=)"],
)
def test_a_misspelt_keyword_argument_is_a_type_error(tmp_path: Path, call: Callable[[Path], Any]) -> None:
    """Keyword arguments: Python refuses them itself (``TypeError``), and nothing is created."""
    with pytest.raises(TypeError):
        call(tmp_path)
    assert list(tmp_path.iterdir()) == []
