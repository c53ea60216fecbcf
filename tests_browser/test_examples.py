"""Every browser example of the TSDoc (src/browser.ts, src/runtime/browser/; also in docs/API.md) runs in
Chromium as it is written, on the harness page, which maps "@onoal/nucleus" to the build. js/test/examples.test.mjs
type-checks them, and type-checks and runs the Node.js ones; js/scripts/lib/examples.mjs finds them all."""

from __future__ import annotations

import json
import subprocess

import pytest
from playwright.sync_api import Browser
from static_server import StaticServer

from conftest import ROOT, open_page

EXAMPLES = json.loads(
    subprocess.run(
        ["node", str(ROOT / "js" / "scripts" / "lib" / "examples.mjs"), "browser"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
)

RUN = """async (code) => {
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  try { await import(url); return null; }
  catch (e) { return `${e.name}: ${e.message}`; }
  finally { URL.revokeObjectURL(url); }
}"""


def test_there_are_browser_examples() -> None:
    assert len(EXAMPLES) >= 3, EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["id"] for e in EXAMPLES])
def test_the_example_runs_in_chromium(browser: Browser, server: StaticServer, example: dict) -> None:
    gp = open_page(browser, server, "/pages/harness.html", "window.harnessReady === true")
    try:
        error = gp.run(RUN, example["code"])
        gp.guard.check()
    finally:
        gp.context.close()
    assert error is None, f"{example['id']} failed in Chromium: {error}\n{example['code']}"
