"""The browser part of bench/bench_proofs.mjs: standalone ``verifyInclusion`` and ``verifyConsistency`` timed inside
headless Chromium (bench/browser/proofs.html) on the proofs in SAMPLES (a JSON file bench_proofs.mjs writes). Prints
one JSON line: the per-call times in ms and the browser's version.

    .venv/bin/python bench/proofs_browser.py SAMPLES [--repeat N]

Needs the browser build (``cd js && npm run build``) and Debian's ``/usr/bin/chromium``, as bench_browser.py does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "scripts"))

from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from static_server import StaticServer  # noqa: E402

from bench_browser import BUILD, TIMEOUT_MS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="verifyInclusion / verifyConsistency in headless Chromium.")
    parser.add_argument("samples", type=Path, help="the JSON file of proofs bench_proofs.mjs wrote")
    parser.add_argument("--repeat", type=int, default=10, help="times each sample is verified")
    args = parser.parse_args(argv)
    samples = args.samples.resolve()
    data = samples.parent / "browser-data"
    data.mkdir(exist_ok=True)
    (data / "samples.json").write_bytes(samples.read_bytes())
    mounts = {"/nucleus/": BUILD, "/data/": data, "/": HERE / "browser"}
    with StaticServer(mounts) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server.url(f"/proofs.html?repeat={args.repeat}"))
            page.wait_for_function("window.benchResult !== undefined", timeout=TIMEOUT_MS)
            out = page.evaluate("window.benchResult")
            version = browser.version
        finally:
            browser.close()
    if "error" in out or errors:
        print(f"the proofs page failed: {out.get('error')} {errors}", file=sys.stderr)
        return 1
    print(json.dumps({**out, "browser": f"Chromium {version}"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
