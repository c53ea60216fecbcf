"""The playground's main flow, by clicking: append, batch, verify, export, tamper, import (refused with
the broken seq), download. Then its proofs: a selected block's inclusion path drawn up to the root and verified,
a copied proof pasted into the checker (valid), changed by one character (PROOF_INVALID) or garbage (a clear
error), a consistency proof, a signed checkpoint. Saves screenshots to test-artifacts/playground*.png."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from static_server import StaticServer

import nucleus
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
        permissions=["clipboard-read", "clipboard-write"],
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


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle tree hash, written out here so the page's root is checked against its definition."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _change_one_char(b64: str) -> str:
    """The base64 hash with its 6th character replaced: still 32 bytes of canonical base64, another hash."""
    return b64[:5] + ("B" if b64[5] == "A" else "A") + b64[6:]


def _paste_and_check(page: Page, text: str) -> None:
    page.get_by_label("Proof to check").fill(text)
    page.get_by_role("button", name="Check the proof").click()


def test_playground_proofs(playground: GuardedPage) -> None:
    page = playground.page
    for n in (3, 6, 9, 12):
        page.click("#append-batch")
        expect(page.locator(".block")).to_have_count(n)
    hashes = [page.locator(f'.block[data-seq="{i}"] .hash').get_attribute("title") or "" for i in range(12)]
    root = base64.b64encode(_mth([hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest() for h in hashes])).decode()

    # Selecting #5 draws its path: leaf, then one sibling per level (ceil(log2 12) = 4), up to the root.
    page.get_by_role("button", name="Show the inclusion proof of #5").click()
    view = page.get_by_role("region", name="Inclusion proof of #5")
    expect(view.get_by_role("status").first).to_contain_text("verified ✓")
    expect(view).to_contain_text("at size 12 · 4 hashes")
    steps = view.locator(".path li.level")
    expect(steps).to_have_count(4)
    sides = ["+ left", "+ right", "+ left", "+ right"]
    assert [steps.nth(i).locator(".side").inner_text().lower() for i in range(4)] == sides
    assert [steps.nth(i).locator(".range").first.inner_text() for i in range(4)] == ["#4", "#6–#7", "#0–#3", "#8–#11"]
    assert [steps.nth(i).locator(".range").last.inner_text() for i in range(4)] == ["#4–#5", "#4–#7", "#0–#7", "#0–#11"]
    expect(view.locator(".path li.root")).to_contain_text("= the checkpoint's root")
    assert view.locator(".path li.root .mono").get_attribute("title") == root
    checkpoint_text = view.get_by_label("Checkpoint").text_content()
    assert checkpoint_text == f"nucleus/playground\n12\n{root}\nchain {hashes[11]}\n"
    expect(page.locator('.block[data-seq="5"] .prove')).to_have_attribute("aria-pressed", "true")

    # Copy → paste → valid; and CPython agrees on what was copied.
    view.get_by_role("button", name="Copy inclusion proof").click()
    expect(view.locator(".copy-note")).to_contain_text("Copied the inclusion proof of #5 at size 12")
    copied = str(page.evaluate("navigator.clipboard.readText()"))
    bundle = json.loads(copied)
    assert bundle["entry"] == {"seq": 5, "hash": hashes[5]} and bundle["proof"]["size"] == 12
    assert nucleus.verify_inclusion(bundle["entry"], bundle["proof"], bundle["checkpoint"]) is True
    page.get_by_label("Proof to check").click()
    page.keyboard.press("ControlOrMeta+V")
    expect(page.get_by_label("Proof to check")).to_have_value(copied)
    page.get_by_role("button", name="Check the proof").click()
    result = page.locator("#check-result")
    expect(result).to_contain_text("Valid inclusion proof")
    expect(result).to_contain_text("Entry #5")

    # One changed character in a path hash: the climb reaches another root.
    changed = copied.replace(bundle["proof"]["path"][1], _change_one_char(bundle["proof"]["path"][1]))
    assert changed != copied
    _paste_and_check(page, changed)
    expect(result).to_contain_text("PROOF_INVALID")
    expect(result).to_have_attribute("data-reason", "root_mismatch")
    _paste_and_check(page, json.dumps({**bundle, "entry": {"seq": 4, "hash": hashes[4]}}))
    expect(result).to_have_attribute("data-reason", "index_mismatch")

    # Garbage gets a clear error, never a crash (the guard fails the test on any uncaught error).
    _paste_and_check(page, "this is { not a proof")
    expect(result).to_contain_text("Not JSON")
    _paste_and_check(page, "[1, 2, 3]")
    expect(result).to_contain_text("Not a proof to check")
    _paste_and_check(page, json.dumps({**bundle, "entry": {"seq": 5, "hash": "xyz"}}))
    expect(result).to_contain_text("INVALID_ARGUMENT")
    expect(result).to_have_attribute("data-code", "INVALID_ARGUMENT")
    _paste_and_check(page, json.dumps({**bundle, "checkpoint": "nucleus/playground\n12\n"}))
    expect(result).to_have_attribute("data-code", "INVALID_ARGUMENT")

    # The consistency proof from the first checkpoint that held #5 (size 6, after the second batch) to now.
    view.get_by_role("button", name="Copy consistency proof").click()
    expect(view.locator(".copy-note")).to_contain_text("Copied the consistency proof from size 6 to 12")
    consistency = json.loads(str(page.evaluate("navigator.clipboard.readText()")))
    assert (consistency["proof"]["from"], consistency["proof"]["to"]) == (6, 12)
    assert consistency["newCheckpoint"] == checkpoint_text
    old, new = consistency["oldCheckpoint"], consistency["newCheckpoint"]
    assert nucleus.verify_consistency(old, new, consistency["proof"]) is True
    _paste_and_check(page, json.dumps(consistency))
    expect(result).to_contain_text("Valid consistency proof")
    expect(result).to_contain_text("size 12 extends the one of size 6")
    _paste_and_check(page, json.dumps({**consistency, "newCheckpoint": new.replace(root, _change_one_char(root))}))
    expect(result).to_contain_text("PROOF_INVALID")
    expect(result).to_have_attribute("data-reason", "root_mismatch")

    # An append moves the selected block's proof to the new size.
    page.click("#append")
    expect(page.locator(".block")).to_have_count(13)
    view = page.get_by_role("region", name="Inclusion proof of #5")
    expect(view).to_contain_text("at size 13 · 4 hashes")
    expect(view.get_by_role("status").first).to_contain_text("verified ✓")
    expect(view.locator(".path li.level .range").nth(6)).to_have_text("#8–#12")

    # Signed with a key made in the page, verified there; CPython verifies the same note.
    view.get_by_role("button", name="Sign the checkpoint").click()
    signed = view.locator(".signed")
    expect(signed).to_contain_text("verified ✓ by playground.example/log")
    note = view.get_by_label("Checkpoint").text_content() or ""
    verifier = signed.locator(".key").inner_text()
    assert nucleus.verify_note(note, [verifier]).signers == ("playground.example/log",)

    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(600)  # let the arrival animations finish
    name = "playground-proofs-worker.png" if playground.worker else "playground-proofs.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    page.get_by_role("button", name="Show the inclusion proof of #5").click()
    expect(page.locator(".proof-view")).to_have_count(0)
    expect(page.locator('.block[data-seq="5"] .prove')).to_have_attribute("aria-pressed", "false")
