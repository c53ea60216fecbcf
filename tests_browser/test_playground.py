"""The playground's main flow, by clicking: append, batch, verify, export, tamper, import (refused with
the broken seq), download. Saves a screenshot to test-artifacts/playground.png."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from static_server import StaticServer

from conftest import ARTIFACTS, GuardedPage, open_page


@pytest.fixture(params=["page", "worker"])
def playground(request: pytest.FixtureRequest, browser: Browser, server: StaticServer) -> Iterator[GuardedPage]:
    path = "/?worker=1" if request.param == "worker" else "/"
    gp = open_page(
        browser,
        server,
        path,
        "document.body.dataset.ready === 'true'",
        viewport={"width": 1360, "height": 900},
        accept_downloads=True,
    )
    gp.worker = request.param == "worker"
    try:
        yield gp
        gp.guard.check()
    finally:
        gp.context.close()


def test_playground_main_flow(playground: GuardedPage) -> None:
    page = playground.page
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    expect(page.locator("#status-text")).to_contain_text("Web Worker" if playground.worker else "in memory")
    expect(page.locator("#chain-empty")).to_be_visible()

    page.click("#append")
    expect(page.locator(".block")).to_have_count(1)
    page.fill("#stream", "payments")
    page.fill("#record-id", "pay-1")
    page.fill("#payload", '{"amount": 12.5, "currency": "EUR"}')
    page.click("#append")
    expect(page.locator(".block")).to_have_count(2)
    page.click("#append-batch")
    expect(page.locator(".block")).to_have_count(5)
    expect(page.locator("#stat-length")).to_have_text("5")

    # Bad input is reported next to the form and appends nothing.
    page.fill("#payload", "{ not json")
    page.click("#append")
    expect(page.locator("#form-error")).to_contain_text("not valid JSON")
    page.fill("#payload", '"a string"')
    page.click("#append")
    expect(page.locator("#form-error")).to_contain_text("INVALID_RECORD")
    expect(page.locator(".block")).to_have_count(5)

    # The newest block is on top and links to the one below it.
    top, below = page.locator(".block").nth(0), page.locator(".block").nth(1)
    expect(top).to_have_attribute("data-seq", "4")
    assert top.locator(".prev .mono").get_attribute("title") == below.locator(".hash").get_attribute("title")
    expect(page.locator('.block[data-seq="0"] .prev')).to_contain_text("genesis")

    page.click("#verify")
    expect(page.locator("#verify-result")).to_contain_text("Chain verified")
    expect(page.locator(".block.verified")).to_have_count(5)

    page.click("#export")
    expect(page.locator("#export-text")).not_to_have_value("")  # export() resolves asynchronously
    exported = page.input_value("#export-text")
    header = json.loads(exported.splitlines()[0])
    assert header["format"] == "nucleus-export" and header["size"] == 5

    # An untouched copy imports cleanly into a fresh ledger.
    page.click("#import")
    expect(page.locator("#import-result")).to_contain_text("Import accepted")

    page.click("#tamper")
    expect(page.locator("#tamper-note")).to_contain_text("entry #2")
    assert page.input_value("#export-text") != exported
    page.click("#import")
    result = page.locator("#import-result")
    expect(result).to_contain_text("chain breaks at seq 2")
    expect(result).to_contain_text("CHAIN_INVALID")
    expect(result).to_have_attribute("data-seq", "2")
    expect(page.locator(".block.broken")).to_have_attribute("data-seq", "2")

    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    assert download.suggested_filename == "nucleus-playground-5.jsonl"
    assert Path(download.path()).read_text(encoding="utf-8") == page.input_value("#export-text")

    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(600)  # let the arrival animations finish
    name = "playground-worker.png" if playground.worker else "playground.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
