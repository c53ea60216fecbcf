"""Browser tests: the built package (js/dist/browser/) driven in headless Debian Chromium.

One Chromium per session (pytest-playwright's ``browser``, launched with the flags below), one static
server on 127.0.0.1 (scripts/static_server.py) serving the build at ``/nucleus/``, the test pages at
``/pages/`` and the playground at ``/``. Every page opened through :func:`open_page` is guarded: each
request it (or its workers) makes must go to that server, and no console error or uncaught exception
may appear; a test that breaks either rule fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from static_server import StaticServer  # noqa: E402

BUILD = ROOT / "js" / "dist" / "browser"
PAGES = Path(__file__).resolve().parent / "pages"
PLAYGROUND = ROOT / "web" / "playground"
ARTIFACTS = ROOT / "test-artifacts"
LOAD_TIMEOUT_MS = 60_000
LOCAL_SCHEMES = ("data:", "blob:", "about:")
PACKAGE = ROOT / "js" / "dist" / "index.js"
# Reads {fn, arg, sqlite} on stdin, writes the JSON result of the helper module's `fn(N, arg, storage)` with the
# built package as N, and a SQLite ledger file as storage when `sqlite` names one.
NODE_RUNNER = """
const [pkg, helpers] = process.argv.slice(1);
const N = await import(pkg);
const H = await import(helpers);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { fn, arg, sqlite } = JSON.parse(input);
process.stdout.write(JSON.stringify(await H[fn](N, arg, sqlite ? N.sqliteStorage(sqlite) : undefined)));
"""


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """Debian's Chromium (never `playwright install`), with the flags that keep it offline and quiet."""
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def server() -> Iterator[StaticServer]:
    if not (BUILD / "nucleus.js").is_file():
        pytest.exit(f"{BUILD}/nucleus.js is missing: run `cd js && npm ci && npm run build` first", returncode=2)
    with StaticServer({"/nucleus/": BUILD, "/pages/": PAGES, "/": PLAYGROUND}) as srv:
        yield srv


@dataclass
class Guard:
    """What a page did that it must not: requests off the test server, console errors, uncaught errors."""

    origin: str
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def on_request(self, request: Request) -> None:
        url = request.url
        self.requests.append(url)
        if not (url.startswith(self.origin + "/") or url.startswith(LOCAL_SCHEMES)):
            self.foreign.append(url)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text}")

    def on_page_error(self, error: Exception) -> None:
        self.errors.append(f"uncaught: {error}")

    def check(self, *, expected_404s: bool = False) -> None:
        """Fails the test if anything was recorded since the last check. ``expected_404s``: the test requested
        missing files on purpose, so the browser's own 404 messages are not errors (nothing else is excused)."""
        foreign, errors = self.foreign[:], [e for e in self.errors if not (expected_404s and "404" in e)]
        self.foreign.clear()
        self.errors.clear()
        assert not foreign, f"requests left the test server: {foreign}"
        assert not errors, "the page logged errors:\n" + "\n".join(errors)


@dataclass
class GuardedPage:
    page: Page
    context: BrowserContext
    guard: Guard
    worker: bool = False  # run the engine in a Web Worker (`createLedger({ worker: true })`)

    def run(self, script: str, arg: object = None) -> object:
        """``page.evaluate`` of an async arrow function ``async (arg) => ...``."""
        return self.page.evaluate(script, arg)


def open_page(browser: Browser, server: StaticServer, path: str, ready: str, **context_args: object) -> GuardedPage:
    """A fresh context and page at ``path``, guarded, waited on until the JS expression ``ready`` is truthy."""
    context = browser.new_context(**context_args)
    guard = Guard(server.origin)
    context.on("request", guard.on_request)
    page = context.new_page()
    page.on("console", guard.on_console)
    page.on("pageerror", guard.on_page_error)
    page.goto(server.url(path))
    page.wait_for_function(ready, timeout=LOAD_TIMEOUT_MS)
    return GuardedPage(page, context, guard)


@pytest.fixture(scope="module", params=["page", "worker"])
def harness(request: pytest.FixtureRequest, browser: Browser, server: StaticServer) -> Iterator[GuardedPage]:
    """The test harness page with the package loaded, shared by a module's tests; runs each test with the
    engine on the page and in a Web Worker (``harness.mode``). The runtime loads once per page."""
    gp = open_page(browser, server, "/pages/harness.html", "window.harnessReady === true")
    gp.worker = request.param == "worker"
    yield gp
    try:
        gp.guard.check()
    finally:
        gp.context.close()


@pytest.fixture(scope="module")
def package_page(browser: Browser, server: StaticServer) -> Iterator[GuardedPage]:
    """The harness page with the package loaded, for the parts of the API that never start the engine (proofs,
    signed notes): one mode, where ``harness`` runs each test on the page and in a worker."""
    gp = open_page(browser, server, "/pages/harness.html", "window.harnessReady === true")
    yield gp
    try:
        gp.guard.check()
    finally:
        gp.context.close()


@pytest.fixture(autouse=True)
def _guard_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Attributes a foreign request or console error to the test during which it happened."""
    yield
    if "harness" in request.fixturenames:
        request.getfixturevalue("harness").guard.check()


# -- the JS test helpers (js/test/helpers/*.mjs) in Chromium and in Node, for the cross-runtime tests ------------


def js_helper_on_page(page: GuardedPage, helpers: Path, fn: str, arg: Any) -> Any:
    """The helper module's ``fn(window.nucleus, arg)`` on the page (on the page or in its worker, as the page's
    ledgers run). Argument and result cross as JSON text: Playwright would not carry a lone surrogate intact."""
    text = page.run(
        """async ([name, source, fn, text]) => {
          window.testHelpers ??= {};
          const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
          window.testHelpers[name] ??= await import(url);
          return JSON.stringify(await window.testHelpers[name][fn](window.nucleus, JSON.parse(text)));
        }""",
        [helpers.name, helpers.read_text(encoding="utf-8"), fn, json.dumps(arg)],
    )
    assert isinstance(text, str)
    return json.loads(text)


def js_helper_in_node(helpers: Path, fn: str, arg: Any, *, sqlite: str | None = None, timeout: float = 60) -> Any:
    """The helper module's ``fn(N, arg)`` in a Node process, N the built package (with a SQLite ledger at
    ``sqlite`` as a third argument when given)."""
    run = subprocess.run(
        ["node", "--input-type=module", "-e", NODE_RUNNER, PACKAGE.as_uri(), helpers.as_uri()],
        input=json.dumps({"fn": fn, "arg": arg, "sqlite": sqlite}).encode("ascii"),
        capture_output=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stderr.decode()
    return json.loads(run.stdout)
