"""The ledger API in Chromium, with the engine on the page and in a Web Worker (the ``harness`` fixture
runs every test in both modes). Each test opens its own in-memory ledger on the shared page."""

from __future__ import annotations

from typing import Any

from conftest import GuardedPage

# Opens a ledger as `ledger` (id `arg.id`, worker mode from `arg.worker`) inside an async arrow function.
OPEN = """
  const N = window.nucleus;
  const ledger = await N.createLedger({ id: arg.id, worker: arg.worker });
"""

# Turns a caught error into data the test can inspect.
CATCH = """
  const describe = (e) => ({
    name: e.name, code: e.code, message: e.message, seq: e.seq, kind: e.kind, details: e.details,
    isNucleusError: e instanceof N.NucleusError,
  });
"""


def run(h: GuardedPage, body: str, **arg: Any) -> Any:
    """Runs ``body`` (which sees ``N``, ``ledger``, ``describe`` and ``arg``) with a fresh ledger."""
    arg = {"id": "t", "worker": h.worker, **arg}
    return h.run(f"async (arg) => {{ {OPEN} {CATCH} try {{ {body} }} finally {{ await ledger.close(); }} }}", arg)


def test_append_get_and_state(harness: GuardedPage) -> None:
    out = run(
        harness,
        """
      const empty = {
        length: await ledger.length(), latest: await ledger.latestHash(), isEmpty: await ledger.isEmpty(),
      };
      const h1 = await ledger.append({ id: "a-1", stream: "orders", payload: { total: 42 } });
      const h2 = await ledger.append({ id: "a-1", stream: "orders", payload: { total: 43 }, meta: { by: "bob" } });
      const rec = await ledger.get(h1);
      const entry = await ledger.getEntry(h2);
      return {
        empty, h1, h2, rec, entry,
        latest: await ledger.latestHash(), length: await ledger.length(), isEmpty: await ledger.isEmpty(),
        byId: await ledger.getById("a-1"), missing: await ledger.get("0".repeat(64)),
        missingId: await ledger.getById("nope"),
        hasStorage: await ledger.hasStorage(), verifyStorage: await ledger.verifyStorage(),
        verified: await ledger.verify().then(() => true),
        plain: [rec, rec.payload, entry, entry.record].every((o) => Object.getPrototypeOf(o) === Object.prototype),
      };
    """,
    )
    assert out["empty"] == {"length": 0, "latest": None, "isEmpty": True}
    for h in (out["h1"], out["h2"]):
        assert len(h) == 64 and all(c in "0123456789abcdef" for c in h)
    assert out["h1"] != out["h2"]
    assert out["rec"]["id"] == "a-1" and out["rec"]["stream"] == "orders" and out["rec"]["payload"] == {"total": 42}
    assert isinstance(out["rec"]["timestamp"], int)
    assert out["entry"]["seq"] == 1 and out["entry"]["hash"] == out["h2"] and out["entry"]["prevHash"] == out["h1"]
    assert out["byId"]["payload"] == {"total": 43} and out["byId"]["meta"] == {"by": "bob"}  # the later record wins
    assert out["missing"] is None and out["missingId"] is None
    assert out["latest"] == out["h2"] and out["length"] == 2 and out["isEmpty"] is False
    assert out["hasStorage"] is False and out["verifyStorage"] is False
    assert out["verified"] is True
    assert out["plain"] is True, "records must come back as plain objects"


def test_append_batch_and_query(harness: GuardedPage) -> None:
    out = run(
        harness,
        """
      const base = 1_700_000_000_000;
      const records = Array.from({ length: 30 }, (_, i) => ({
        id: `r-${i}`, stream: i % 3 === 0 ? "payments" : "orders", timestamp: base + i * 1000, payload: { i },
      }));
      const hashes = await ledger.appendBatch(records);
      const page1 = await ledger.query({ stream: "orders", limit: 5 });
      const page2 = await ledger.query({ stream: "orders", limit: 5, offset: 5 });
      const last = await ledger.query({ stream: "orders", limit: 5, offset: 15 });
      const byId = await ledger.query({ id: "r-7" });
      const range = await ledger.query({ timestampFrom: base + 10_000, timestampTo: base + 14_000 });
      const upTo = await ledger.query({ timestampTo: base + 2_000 });
      const desc = await ledger.query({ stream: "payments", order: "desc", limit: 2 });
      let atomic;
      try {
        await ledger.appendBatch([{ id: "ok", stream: "s", payload: {} }, { id: "", stream: "s", payload: {} }]);
      } catch (e) { atomic = describe(e); }
      return {
        hashes, length: await ledger.length(), latest: await ledger.latestHash(), page1, page2, last, byId, range, upTo,
        desc, atomic, lengthAfter: await ledger.length(), verified: await ledger.verify().then(() => true),
        plain: [...page1.records, ...desc.records].every(
          (r) => Object.getPrototypeOf(r) === Object.prototype && !(r instanceof Map)),
        isArray: Array.isArray(page1.records),
      };
    """,
    )
    assert len(out["hashes"]) == 30 and len(set(out["hashes"])) == 30
    assert out["length"] == 30 and out["latest"] == out["hashes"][-1]
    ids = lambda res: [r["id"] for r in res["records"]]  # noqa: E731
    orders = [f"r-{i}" for i in range(30) if i % 3]
    assert out["page1"]["total"] == 20 and ids(out["page1"]) == orders[:5] and out["page1"]["hasMore"] is True
    assert ids(out["page2"]) == orders[5:10] and out["page2"]["hasMore"] is True
    assert ids(out["last"]) == orders[15:20] and out["last"]["hasMore"] is False
    assert ids(out["byId"]) == ["r-7"] and out["byId"]["total"] == 1
    assert ids(out["range"]) == [f"r-{i}" for i in range(10, 15)]
    assert ids(out["upTo"]) == ["r-0", "r-1", "r-2"]  # timestampTo alone works (a defect of the original)
    assert ids(out["desc"]) == ["r-27", "r-24"] and out["desc"]["total"] == 10
    assert out["atomic"]["code"] == "INVALID_RECORD" and out["atomic"]["isNucleusError"] is True
    assert out["lengthAfter"] == 30, "a batch with one bad record must write nothing"
    assert out["verified"] is True and out["plain"] is True and out["isArray"] is True


def test_sqlite_storage_is_unsupported(harness: GuardedPage) -> None:
    out = harness.run(
        """async (arg) => {
      const N = window.nucleus;
      let err;
      try {
        await N.createLedger({ id: "s", storage: N.sqliteStorage("./ledger.db"), worker: arg.worker });
      } catch (e) {
        err = { code: e.code, name: e.name, message: e.message, cls: e instanceof N.StorageUnsupportedError };
      }
      const auto = N.autoStorage("./ledger.db");
      const ledger = await N.createLedger({ id: "s", storage: auto, worker: arg.worker });
      await ledger.append({ id: "x", stream: "s", payload: [1, 2] });
      const result = { err, auto, hasStorage: await ledger.hasStorage(), length: await ledger.length() };
      await ledger.close();
      return result;
    }""",
        {"worker": harness.worker},
    )
    err = out["err"]
    assert err is not None, "sqliteStorage() must make createLedger fail in a browser"
    assert err["code"] == "STORAGE_UNSUPPORTED" and err["cls"] is True and err["name"] == "StorageUnsupportedError"
    assert "inMemoryStorage()" in err["message"] and "autoStorage(" in err["message"]
    assert out["auto"] == {"type": "none"}, "autoStorage(path) picks memory in a browser"
    assert out["hasStorage"] is False and out["length"] == 1


def test_export_import_round_trip(harness: GuardedPage) -> None:
    out = run(
        harness,
        """
      await ledger.append({ id: "a", stream: "s", payload: { n: 1 } });
      await ledger.appendBatch([2, 3, 4, 5].map((n) => ({ id: `id-${n}`, stream: "s", payload: { n } })));
      const text = await ledger.export();
      const copy = await N.createLedger({ id: arg.id, worker: arg.worker });
      const result = await copy.importEntries(text);
      await copy.verify();
      const out = {
        lines: text.trim().split("\\n").length, result,
        same: (await copy.latestHash()) === (await ledger.latestHash()),
        length: await copy.length(), byId: await copy.getById("id-4"),
        exportAgain: (await copy.export()) === text,
      };
      await copy.close();
      return out;
    """,
        id="roundtrip",
    )
    assert out["lines"] == 6  # header + 5 entries
    assert out["result"] == {"imported": 5, "length": 5}
    assert out["same"] is True and out["length"] == 5 and out["byId"]["payload"] == {"n": 4}
    assert out["exportAgain"] is True


def test_tampered_export_is_refused_naming_the_first_bad_seq(harness: GuardedPage) -> None:
    out = run(
        harness,
        """
      await ledger.appendBatch([0, 1, 2, 3, 4, 5].map((n) => ({ id: `id-${n}`, stream: "s", payload: { n } })));
      const lines = (await ledger.export()).split("\\n");
      const attempt = async (text) => {
        const copy = await N.createLedger({ id: arg.id, worker: arg.worker });
        try { await copy.importEntries(text); return { accepted: true }; }
        catch (e) { return { ...describe(e), lengthAfter: await copy.length() }; }
        finally { await copy.close(); }
      };
      const edited = lines.slice();
      const e3 = JSON.parse(edited[1 + 3]); e3.record.payload.n = 333; edited[1 + 3] = JSON.stringify(e3);
      const dropped = lines.slice(); dropped.splice(1 + 2, 1);
      const swapped = lines.slice(); [swapped[1 + 4], swapped[1 + 5]] = [swapped[1 + 5], swapped[1 + 4]];
      return {
        edited: await attempt(edited.join("\\n")),
        dropped: await attempt(dropped.join("\\n")),
        swapped: await attempt(swapped.join("\\n")),
        original: await attempt(lines.join("\\n")),
      };
    """,
        id="tamper",
    )
    edited = out["edited"]
    assert edited["code"] == "CHAIN_INVALID" and edited["name"] == "ChainIntegrityError"
    assert edited["seq"] == 3 and edited["kind"] == "hash" and edited["details"]["seq"] == 3
    assert "3" in edited["message"] and edited["isNucleusError"] is True
    assert edited["lengthAfter"] == 0, "a refused import writes nothing"
    for case in ("dropped", "swapped"):
        assert out[case].get("code") in ("CHAIN_INVALID", "INVALID_ARGUMENT"), (case, out[case])
        assert out[case]["lengthAfter"] == 0
    assert out["dropped"].get("seq", 2) == 2
    assert out["swapped"].get("seq", 4) == 4
    assert out["original"] == {"accepted": True}


def test_errors_keep_their_codes_and_classes(harness: GuardedPage) -> None:
    out = run(
        harness,
        """
      const attempt = async (fn) => { try { await fn(); return null; } catch (e) { return describe(e); } };
      const bad = await attempt(() => ledger.append({ id: "x", stream: "s", payload: "not an object" }));
      const back = await attempt(async () => {
        await ledger.append({ id: "t1", stream: "s", timestamp: 2_000_000_000_000, payload: {} });
        await ledger.append({ id: "t2", stream: "s", timestamp: 1_000_000_000_000, payload: {} });
      });
      const config = await attempt(() => N.createLedger({ id: "c", storag: N.inMemoryStorage(), worker: arg.worker }));
      const other = await N.createLedger({ id: "closing", worker: arg.worker });
      await other.close();
      const closed = await attempt(() => other.append({ id: "x", stream: "s", payload: {} }));
      return { bad, back, config, closed, length: await ledger.length(), closedFlag: other.closed };
    """,
    )
    assert out["bad"]["code"] == "INVALID_RECORD" and out["bad"]["name"] == "ValidationError"
    assert out["back"]["code"] == "INVALID_RECORD", "a timestamp going back is refused at append"
    assert out["config"]["code"] == "INVALID_CONFIG" and "storage" in out["config"]["message"]
    assert out["closed"]["code"] == "LEDGER_CLOSED" and out["closedFlag"] is True
    assert out["length"] == 1


def test_engine_runs_where_asked(harness: GuardedPage) -> None:
    """Worker mode loads Pyodide inside the worker only; page mode never starts a worker."""
    names = harness.run("""() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname)""")
    assert ("/nucleus/nucleus-worker.js" in names) is harness.worker
    assert ("/nucleus/pyodide.asm.wasm" in names) is not harness.worker
    assert any(url.endswith("/nucleus/pyodide.asm.wasm") for url in harness.guard.requests)
    if not harness.worker:
        info = harness.run("async () => await window.nucleus.runtimeInfo()")
        assert info["startMode"] == "snapshot", f"the page started without its snapshot: {info}"


def test_a_record_far_past_the_size_limit_is_refused_before_it_is_serialized(harness: GuardedPage) -> None:
    """400 MiB of payload: INVALID_RECORD at once, on the page and before anything is sent to the worker."""
    out = run(
        harness,
        """
      const attempt = async (fn) => { try { await fn(); return null; } catch (e) { return describe(e); } };
      const huge = "x".repeat(400 * 1024 * 1024);
      const started = performance.now();
      const single = await attempt(() => ledger.append({ id: "big", stream: "s", payload: { huge } }));
      const batch = await attempt(() => ledger.appendBatch([
        { id: "ok", stream: "s", payload: {} },
        { id: "big", stream: "s", payload: [huge] },
      ]));
      return { single, batch, ms: performance.now() - started, length: await ledger.length() };
    """,
    )
    limit = "1048576 bytes in canonical form; the limit is 1048576"
    assert out["single"]["code"] == "INVALID_RECORD" and out["single"]["isNucleusError"] is True
    assert out["single"]["message"] == f"record is more than {limit}"
    assert out["batch"]["code"] == "INVALID_RECORD"
    assert out["batch"]["message"] == f"records[1]: record is more than {limit}"
    assert out["batch"]["details"] == {"limit": 1048576, "index": 1}
    assert out["length"] == 0
    print(f"[{'worker' if harness.worker else 'page'}] both refusals took {out['ms']:.1f} ms")


def test_misspelt_option_keys_are_refused(harness: GuardedPage) -> None:
    """A typo in an options object is an error naming the key that was meant, in both modes."""
    out = run(
        harness,
        """
      const attempt = async (fn) => { try { await fn(); return null; } catch (e) { return describe(e); } };
      await ledger.append({ id: "a", stream: "s", payload: {} });
      const checkpoint = await ledger.checkpoint();
      return {
        verify: await attempt(() => ledger.verify({ checkpiont: checkpoint })),
        verifyStorage: await attempt(() => ledger.verifyStorage({ checkPoint: checkpoint })),
        query: await attempt(() => ledger.query({ strem: "s" })),
        record: await attempt(() => ledger.append({ id: "b", stream: "s", paylod: {} })),
        module: await attempt(() => N.createLedger({
          id: "m", worker: arg.worker, modules: [{ id: "proof", version: "1.0.0", config: { strem: "p" } }],
        })),
        options: await attempt(() => N.createLedger({ id: "o", worker: arg.worker, options: { maxEntires: 1 } })),
        length: await ledger.length(),
      };
    """,
    )
    expected = {
        "verify": ("INVALID_ARGUMENT", "checkpiont", "checkpoint"),
        "verifyStorage": ("INVALID_ARGUMENT", "checkPoint", "checkpoint"),
        "query": ("INVALID_ARGUMENT", "strem", "stream"),
        "record": ("INVALID_RECORD", "paylod", "payload"),
        "module": ("INVALID_CONFIG", "strem", "stream"),
        "options": ("INVALID_CONFIG", "maxEntires", "maxEntries"),
    }
    for case, (code, key, meant) in expected.items():
        err = out[case]
        assert err is not None, f"{case}: the typo {key!r} was accepted"
        assert err["code"] == code, (case, err)
        assert f'"{key}" (did you mean "{meant}"?)' in err["message"], (case, err["message"])
    assert out["length"] == 1
