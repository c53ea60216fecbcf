"""`ledgerBuilder(...).build()` honours the browser options: `withAssetsURL()` says where the runtime's
files are (a folder without them fails with `INVALID_CONFIG` naming it) and `withWorker()` runs the
engine in a Web Worker (the worker script is fetched) or on the page (it is not)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from static_server import StaticServer

from conftest import open_page


@pytest.mark.parametrize("worker", [False, True], ids=["page", "worker"])
def test_builder_passes_assets_url_and_worker(browser: Browser, server: StaticServer, worker: bool) -> None:
    gp = open_page(browser, server, "/pages/harness.html", "window.harnessReady === true")
    try:
        out = gp.run(
            """async (worker) => {
          const N = window.nucleus;
          let err;
          try { await N.ledgerBuilder("b").withAssetsURL("/missing/").withWorker(worker).build(); }
          catch (e) { err = { code: e.code, name: e.name, message: e.message }; }
          const ledger = await N.ledgerBuilder("b").withAssetsURL("/nucleus/").withWorker(worker).build();
          await ledger.appendBatch([1, 2].map((n) => ({ id: `r-${n}`, stream: "s", payload: { n } })));
          const length = await ledger.length();
          await ledger.close();
          const names = performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname);
          return { err, length, workerScript: names.includes("/nucleus/nucleus-worker.js"),
                   wasmOnPage: names.includes("/nucleus/pyodide.asm.wasm") };
        }""",
            worker,
        )
        gp.guard.check(expected_404s=True)  # the 404s of /missing/ are the browser's own messages
    finally:
        gp.context.close()
    assert out["err"] is not None, "withAssetsURL must reach createLedger"
    assert out["err"]["code"] == "INVALID_CONFIG" and "/missing/" in out["err"]["message"]
    assert out["length"] == 2
    assert out["workerScript"] is worker, "withWorker must reach createLedger"
    assert out["wasmOnPage"] is not worker
