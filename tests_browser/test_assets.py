"""`assetsURL`: a folder without the runtime's files fails `createLedger` with a clear `INVALID_CONFIG`,
and a corrected URL then works on the same page (on the page and in worker mode)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from static_server import StaticServer

from conftest import open_page


@pytest.mark.parametrize("worker", [False, True], ids=["page", "worker"])
def test_missing_assets_fail_clearly_and_can_be_corrected(browser: Browser, server: StaticServer, worker: bool) -> None:
    gp = open_page(browser, server, "/pages/harness.html", "window.harnessReady === true")
    try:
        out = gp.run(
            """async (worker) => {
          const N = window.nucleus;
          let err;
          try { await N.createLedger({ id: "m", assetsURL: "/missing/", worker }); }
          catch (e) { err = { code: e.code, name: e.name, message: e.message }; }
          const ledger = await N.createLedger({ id: "m", assetsURL: "/nucleus/", worker });
          await ledger.append({ id: "x", stream: "s", payload: {} });
          const length = await ledger.length();
          await ledger.close();
          return { err, length };
        }""",
            worker,
        )
        gp.guard.check(expected_404s=True)  # the 404s of /missing/ are the browser's own messages
    finally:
        gp.context.close()
    assert out["err"] is not None, "a folder without the assets must fail"
    assert out["err"]["code"] == "INVALID_CONFIG" and out["err"]["name"] == "ConfigError"
    assert "/missing/" in out["err"]["message"] and "assetsURL" in out["err"]["message"]
    assert out["length"] == 1, "a corrected assetsURL works on the same page"
