"""Modules: built-in proof/asset checks and their config, custom modules, lifecycle, combined query filters."""

from __future__ import annotations

from typing import Any

import pytest

import nucleus
from support import T0, raises_code, rec

ALICE, BOB, ISSUER = "oid:onoal:user:alice", "oid:onoal:user:bob", "oid:onoal:org:issuer"


def proof(i: int, subject: str = ALICE, issuer: str = ISSUER, stream: str = "proofs", **extra: Any) -> dict:
    return {
        "id": f"p{i}",
        "stream": stream,
        "timestamp": T0 + i,
        "payload": {"subject_oid": subject, "issuer_oid": issuer, **extra},
    }


def asset(i: int, owner: str = ALICE, stream: str = "assets", **extra: Any) -> dict:
    return {"id": f"a{i}", "stream": stream, "timestamp": T0 + i, "payload": {"owner_oid": owner, **extra}}


@pytest.mark.parametrize(
    ("record", "missing"),
    [
        ({"id": "p", "stream": "proofs", "timestamp": T0, "payload": {"subject_oid": ALICE}}, "issuer_oid"),
        ({"id": "p", "stream": "proofs", "timestamp": T0, "payload": {"issuer_oid": ISSUER}}, "subject_oid"),
        (
            {"id": "p", "stream": "proofs", "timestamp": T0, "payload": {"subject_oid": "", "issuer_oid": ISSUER}},
            "subject_oid",
        ),
        (
            {"id": "p", "stream": "proofs", "timestamp": T0, "payload": {"subject_oid": 1, "issuer_oid": ISSUER}},
            "subject_oid",
        ),
        ({"id": "a", "stream": "assets", "timestamp": T0, "payload": {"name": "x"}}, "owner_oid"),
    ],
)
def test_builtin_modules_reject_records_missing_fields(make_storage, record: dict, missing: str):
    with nucleus.Ledger.open("test", make_storage(), modules=[{"id": "proof"}, {"id": "asset"}]) as lg:
        err = raises_code("MODULE_REJECTED", lambda: lg.append(record), nucleus.ModuleRejected)
        assert missing in err.message and err.details["module"] == record["stream"][:-1]
        assert missing in err.details["reason"]
        assert len(lg) == 0


def test_builtin_modules_accept_good_records_and_ignore_other_streams():
    with nucleus.Ledger.open("test", modules=[nucleus.ProofModule(), nucleus.AssetModule()]) as lg:
        lg.append(proof(0))
        lg.append(asset(1))
        lg.append({"id": "x", "stream": "events", "timestamp": T0 + 2, "payload": {}})
        assert len(lg) == 3
        raises_code("MODULE_REJECTED", lambda: lg.append({"id": "x", "stream": "proofs", "payload": [1]}))


def test_config_stream_name_is_honoured():
    modules = [{"id": "proof", "config": {"stream": "attestations"}}, {"id": "asset", "config": {"stream": "items"}}]
    with nucleus.Ledger.open("test", modules=modules) as lg:
        lg.append({"id": "x", "stream": "proofs", "timestamp": T0, "payload": {}})  # no longer checked
        raises_code("MODULE_REJECTED", lambda: lg.append({"id": "y", "stream": "attestations", "payload": {}}))
        raises_code("MODULE_REJECTED", lambda: lg.append({"id": "y", "stream": "items", "payload": {}}))
        lg.append(proof(1, stream="attestations"))
        lg.append(asset(2, stream="items"))
        assert len(lg) == 3


def test_config_required_fields_are_honoured():
    modules = [{"id": "asset", "version": "2.0.0", "config": {"requiredFields": ["owner_oid", "serial"]}}]
    with nucleus.Ledger.open("test", modules=modules) as lg:
        err = raises_code("MODULE_REJECTED", lambda: lg.append(asset(0)))
        assert "serial" in err.message and err.details["missing"] == ["serial"]
        lg.append(asset(1, serial="S-1"))
        assert lg.modules.metadata() == [{"id": "asset", "version": "2.0.0", "state": "Started"}]
        # the filterable fields follow the config too
        assert lg.query(module_filters={"asset": {"serial": "S-1"}}).total == 1
    with nucleus.Ledger.open("test", modules=[{"id": "proof", "config": {"required_fields": []}}]) as lg:
        lg.append({"id": "p", "stream": "proofs", "payload": {}})


@pytest.mark.parametrize(
    "spec",
    [
        {"id": "nope"},
        {"id": "proof", "config": {"streams": "x"}},
        {"id": "proof", "config": {"stream": ""}},
        {"id": "proof", "config": {"requiredFields": "subject_oid"}},
        {"id": "proof", "config": []},
        {"id": "proof", "version": 2},
        {"id": "proof", "extra": 1},
        "proof",
        {"id": 5},
    ],
)
def test_bad_module_config(spec):
    raises_code("INVALID_CONFIG", lambda: nucleus.Ledger.open("test", modules=[spec]))


def test_duplicate_module_ids_are_refused():
    raises_code("INVALID_CONFIG", lambda: nucleus.Ledger.open("test", modules=[{"id": "proof"}, nucleus.ProofModule()]))


# -- custom modules ----------------------------------------------------------------------------------


class Stamp(nucleus.Module):
    """Enriches every record with payload.stamped and records what it saw."""

    id = "stamp"
    version = "0.3.0"

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.stored: list[int] = []

    def init(self, ledger_id: str) -> None:
        self.events.append(f"init:{ledger_id}")

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")

    def before_append(self, record, context):
        if record["payload"].get("forbidden"):
            raise nucleus.ModuleRejected("forbidden records are not allowed")
        who = context.requester_oid if context else None
        return {**record, "payload": {**record["payload"], "stamped": True, "by": who}}

    def after_append(self, entry: nucleus.Entry) -> None:
        self.stored.append(entry.seq)


def test_custom_module_enriches_records(make_storage):
    stamp = Stamp()
    with nucleus.Ledger.open("test", make_storage(), modules=[stamp]) as lg:
        h = lg.append({"id": "a", "stream": "s", "timestamp": T0, "payload": {"v": 1}}, {"requesterOid": ALICE})
        stored = lg.get(h)
        assert stored["payload"] == {"v": 1, "stamped": True, "by": ALICE}
        # the hash covers the enriched record, so the chain verifies
        assert h == nucleus.entry_hash("test", 0, None, nucleus.canonicalize(stored))
        lg.append_batch([{"id": "b", "stream": "s", "timestamp": T0, "payload": {}}] * 2)
        assert stamp.stored == [0, 1, 2]
        lg.verify()


def test_custom_module_rejection_keeps_the_modules_message(make_storage):
    stamp = Stamp()
    with nucleus.Ledger.open("test", make_storage(), modules=[stamp]) as lg:
        lg.append({"id": "a", "stream": "s", "payload": {}})
        err = raises_code("MODULE_REJECTED", lambda: lg.append({"id": "b", "stream": "s", "payload": {"forbidden": 1}}))
        assert "forbidden records are not allowed" in err.message
        assert err.details == {"module": "stamp", "reason": "forbidden records are not allowed"}
        assert len(lg) == 1 and stamp.stored == [0]


def test_a_crashing_module_refuses_the_record_instead_of_corrupting_state():
    class Broken(nucleus.Module):
        id = "broken"

        def before_append(self, record, context):
            raise KeyError("bug")

    with nucleus.Ledger.open("test", modules=[Broken()]) as lg:
        err = raises_code("MODULE_REJECTED", lambda: lg.append({"id": "a", "stream": "s", "payload": {}}))
        assert err.details["module"] == "broken" and "KeyError" in err.message
        assert len(lg) == 0


class Meddler(nucleus.Module):
    """Changes its argument in place, at every depth, and returns nothing: that must have no effect."""

    id = "meddler"

    def before_append(self, record, context):
        record["payload"]["x"] = 1
        record["payload"].setdefault("deep", {})["y"] = 2
        if type(record["payload"].get("list")) is list:
            record["payload"]["list"].append("meddled")
        record.setdefault("meta", {})["z"] = 3
        record["stream"] = "meddled"
        return None


def _caller_record() -> dict:
    return {
        "id": "a",
        "stream": "s",
        "timestamp": T0,
        "payload": {"v": 1, "deep": {"k": "v"}, "list": [1]},
        "meta": {"m": 1},
    }


@pytest.mark.parametrize(
    "modules",
    [["meddler"], ["meddler", "stamp"], ["stamp", "meddler"]],
    ids=["alone", "before an enriching module", "after an enriching module"],
)
def test_changing_the_record_in_place_reaches_neither_storage_nor_the_caller(make_storage, modules: list[str]):
    chosen = [{"meddler": Meddler, "stamp": Stamp}[m]() for m in modules]
    enriched = {"stamped": True, "by": None} if "stamp" in modules else {}
    with nucleus.Ledger.open("test", make_storage(), modules=chosen) as lg:
        mine = _caller_record()
        h = lg.append(mine)
        assert mine == _caller_record()  # the caller's dict and everything in it
        stored = lg.get(h)
        want = _caller_record()
        assert stored == {**want, "payload": {**want["payload"], **enriched}}
        assert h == nucleus.entry_hash("test", 0, None, nucleus.canonicalize(stored))
        batch = [_caller_record() | {"id": "b"}, _caller_record() | {"id": "c"}]
        lg.append_batch(batch)
        assert batch == [_caller_record() | {"id": "b"}, _caller_record() | {"id": "c"}]
        assert [r["payload"] for r in lg.query().records] == [{**want["payload"], **enriched}] * 3
        lg.verify()


def test_hooks_that_may_change_their_argument_get_a_copy_whatever_they_override():
    class MeddlingProof(nucleus.ProofModule):  # overrides a built-in hook that is known to only read
        def before_append(self, record, context):
            record["payload"]["subject_oid"] = "oid:onoal:user:mallory"
            return super().before_append(record, context)

    on_instance = nucleus.Module()
    on_instance.id = "instance"
    on_instance.before_append = lambda record, context: record["payload"].update(x=1)

    with nucleus.Ledger.open("test", modules=[MeddlingProof(), on_instance, {"id": "asset"}]) as lg:
        mine = proof(0)
        stored = lg.get(lg.append(mine))
        assert stored == proof(0) and mine == proof(0)


def test_a_returned_record_is_not_changed_by_the_next_modules_meddling():
    class Returner(nucleus.Module):
        id = "returner"

        def before_append(self, record, context):
            return {**record, "payload": {**record["payload"], "deep": {"k": "returned"}}}

    with nucleus.Ledger.open("test", modules=[Returner(), Meddler()]) as lg:
        stored = lg.get(lg.append(_caller_record()))
        assert stored["payload"] == {"v": 1, "deep": {"k": "returned"}, "list": [1]}
        assert stored["stream"] == "s" and stored["meta"] == {"m": 1}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (nucleus.ValidationError("payload.amount must be positive", details={"field": "amount"}), "INVALID_RECORD"),
        (nucleus.AccessDenied("not for you"), "ACCESS_DENIED"),
        (nucleus.ArgumentError("bad lookup"), "INVALID_ARGUMENT"),
    ],
)
def test_a_nucleus_error_in_a_module_is_module_rejected_naming_it(make_storage, error, code: str):
    class Checker(nucleus.Module):
        id = "checker"

        def before_append(self, record, context):
            raise error

    with nucleus.Ledger.open("test", make_storage(), modules=[Stamp(), Checker()]) as lg:
        err = raises_code("MODULE_REJECTED", lambda: lg.append(_caller_record()), nucleus.ModuleRejected)
        assert err.details["module"] == "checker" and "'checker'" in err.message
        assert err.details["cause"] == {"code": code, "message": error.message}
        assert err.details["reason"] == error.message and error.message in err.message
        err = raises_code("MODULE_REJECTED", lambda: lg.append_batch([rec(0), _caller_record()]))
        assert err.details["module"] == "checker" and err.details["index"] == 0
        assert len(lg) == 0


@pytest.mark.parametrize("returned", [[1], "record", 42, type("D", (dict,), {})()])
def test_a_module_returning_something_else_than_a_record_is_named(returned):
    class Odd(nucleus.Module):
        id = "odd"

        def before_append(self, record, context):
            return returned

    with nucleus.Ledger.open("test", modules=[Odd(), Stamp()]) as lg:
        err = raises_code("MODULE_REJECTED", lambda: lg.append(_caller_record()))
        assert err.details["module"] == "odd" and type(returned).__name__ in err.message
        assert len(lg) == 0


def test_a_failing_observer_does_not_undo_the_append():
    class Observer(nucleus.Module):
        id = "observer"

        def after_append(self, entry):
            raise RuntimeError("observer failed")

    with nucleus.Ledger.open("test", modules=[Observer()]) as lg:
        h = lg.append({"id": "a", "stream": "s", "payload": {}})
        assert lg.get(h) is not None and len(lg) == 1


def test_enrichment_cannot_break_the_rules():
    class Backwards(nucleus.Module):
        id = "backwards"

        def before_append(self, record, context):
            return {**record, "timestamp": 0}

    class Invalid(nucleus.Module):
        id = "invalid"

        def before_append(self, record, context):
            return {**record, "payload": {"x": float("nan")}}

    with nucleus.Ledger.open("test", modules=[Backwards()]) as lg:
        lg.append({"id": "a", "stream": "s", "timestamp": 0, "payload": {}})
        lg.append({"id": "b", "stream": "s", "timestamp": 5, "payload": {}})  # enriched back to 0: still >= 0
        assert [r["timestamp"] for r in lg.query().records] == [0, 0]
    with nucleus.Ledger.open("test", modules=[Invalid()]) as lg:
        raises_code("INVALID_RECORD", lambda: lg.append({"id": "a", "stream": "s", "payload": {}}))
        assert len(lg) == 0


def test_lifecycle_states(make_storage):
    stamp = Stamp()
    registry = nucleus.ModuleRegistry([stamp])
    assert registry.get_state("stamp") is nucleus.ModuleState.REGISTERED
    lg = nucleus.Ledger.open("test", make_storage(), modules=[stamp, {"id": "proof"}])
    assert stamp.events == ["init:test", "start"]
    assert lg.modules.list() == ["stamp", "proof"]
    assert lg.modules.get_state("stamp") is nucleus.ModuleState.STARTED
    assert lg.modules.get_state("stamp") == "Started"
    assert lg.modules.get_state("nope") is None
    assert lg.modules.metadata() == [
        {"id": "stamp", "version": "0.3.0", "state": "Started"},
        {"id": "proof", "version": "1.0.0", "state": "Started"},
    ]
    modules = lg.modules
    lg.close()
    assert stamp.events == ["init:test", "start", "stop"]
    assert modules.get_state("stamp") is nucleus.ModuleState.STOPPED
    assert {m["state"] for m in modules.metadata()} == {"Stopped"}
    assert [s.value for s in nucleus.ModuleState] == ["Registered", "Initialized", "Started", "Stopped"]


# -- query filters -------------------------------------------------------------------------------------


@pytest.fixture
def both(make_storage):
    with nucleus.Ledger.open("test", make_storage(), modules=[{"id": "proof"}, {"id": "asset"}]) as lg:
        lg.append_batch(
            [
                proof(0, subject=ALICE),
                proof(1, subject=BOB),
                asset(2, owner=ALICE),
                asset(3, owner=BOB),
                proof(4, subject=ALICE, issuer=BOB),
                # a record carrying both modules' fields, in a stream neither module checks
                {
                    "id": "m5",
                    "stream": "misc",
                    "timestamp": T0 + 5,
                    "payload": {"subject_oid": ALICE, "issuer_oid": ISSUER, "owner_oid": BOB},
                },
                {
                    "id": "m6",
                    "stream": "misc",
                    "timestamp": T0 + 6,
                    "payload": {"subject_oid": ALICE, "issuer_oid": ISSUER, "owner_oid": ALICE},
                },
                {"id": "m7", "stream": "misc", "timestamp": T0 + 7, "payload": [ALICE]},
            ]
        )
        yield lg


def _ids(result: nucleus.QueryResult) -> list[str]:
    return [r["id"] for r in result.records]


def test_one_modules_filter_works_with_two_modules_loaded(both: nucleus.Ledger):
    assert _ids(both.query(moduleFilters={"proof": {"subject_oid": ALICE}})) == ["p0", "p4", "m5", "m6"]
    assert _ids(both.query(moduleFilters={"asset": {"owner_oid": BOB}})) == ["a3", "m5"]
    assert _ids(both.query(moduleFilters={"proof": {"subject_oid": ALICE, "issuer_oid": BOB}})) == ["p4"]


def test_filters_of_two_modules_combine_with_and(both: nucleus.Ledger):
    result = both.query(moduleFilters={"proof": {"subject_oid": ALICE}, "asset": {"owner_oid": BOB}})
    assert _ids(result) == ["m5"] and result.total == 1
    assert _ids(both.query(moduleFilters={"proof": {"subject_oid": BOB}, "asset": {"owner_oid": BOB}})) == []


def test_module_filters_combine_with_other_filters(both: nucleus.Ledger):
    f = {"proof": {"subject_oid": ALICE}}
    assert _ids(both.query(stream="proofs", module_filters=f)) == ["p0", "p4"]
    assert _ids(both.query(module_filters=f, order="desc", limit=2)) == ["m6", "m5"]
    assert both.query(module_filters=f, limit=1).has_more is True
    assert _ids(both.query(module_filters=f, timestamp_to=T0 + 4)) == ["p0", "p4"]


@pytest.mark.parametrize(
    "module_filters",
    [
        {"nope": {"x": "y"}},
        {"proof": {"owner_oid": ALICE}},
        {"proof": ["subject_oid"]},
        ["proof"],
        {"proof": {"subject_oid": 1.5}},
        {"proof": {"subject_oid": None}},
    ],
)
def test_bad_module_filters(both: nucleus.Ledger, module_filters):
    raises_code("INVALID_ARGUMENT", lambda: both.query(moduleFilters=module_filters))


def test_a_module_without_filters_refuses_them():
    with nucleus.Ledger.open("test", modules=[Stamp()]) as lg:
        raises_code("INVALID_ARGUMENT", lambda: lg.query(moduleFilters={"stamp": {"x": "y"}}))


class Level(nucleus.Module):
    """A custom module whose filter tests integer, boolean and string payload fields."""

    id = "level"

    def query_conditions(self, filter):
        return list(filter.items())


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"level": 1}, ["int"]),
        ({"level": True}, ["true"]),
        ({"level": False}, ["false"]),
        ({"level": "1"}, ["str"]),
        ({"level": 0}, ["zero"]),
        ({"level": 1, "tag": "x"}, ["int"]),
        ({"level": 2}, []),
    ],
)
def test_custom_filters_match_type_and_value(make_storage, condition: dict, expected: list[str]):
    values = {"int": 1, "true": True, "false": False, "str": "1", "zero": 0, "float": 1.5, "null": None}
    with nucleus.Ledger.open("test", make_storage(), modules=[Level()]) as lg:
        lg.append_batch(
            [{"id": k, "stream": "s", "timestamp": T0, "payload": {"level": v, "tag": "x"}} for k, v in values.items()]
        )
        lg.append({"id": "array", "stream": "s", "timestamp": T0, "payload": [1]})
        assert _ids(lg.query(moduleFilters={"level": condition})) == expected
