"""The esbuild recipe of docs/BROWSER.md: an app that imports "@onoal/nucleus" bundled for the browser
(the package's "browser" export, no `node:` module), served beside the package's assets folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import Browser
from static_server import StaticServer

from conftest import BUILD, ROOT, open_page

APP = Path(__file__).resolve().parent / "bundler_app"
ESBUILD = ROOT / "js" / "node_modules" / ".bin" / "esbuild"


def test_esbuild_bundle_runs(browser: Browser, tmp_path: Path) -> None:
    # A project whose node_modules holds the package (as `npm install @onoal/nucleus` would).
    (tmp_path / "node_modules" / "@onoal").mkdir(parents=True)
    (tmp_path / "node_modules" / "@onoal" / "nucleus").symlink_to(ROOT / "js")
    shutil.copy(APP / "app.js", tmp_path / "app.js")
    shutil.copy(APP / "index.html", tmp_path / "index.html")
    proc = subprocess.run(
        [str(ESBUILD), "app.js", "--bundle", "--format=esm", "--platform=browser", "--outfile=app.bundle.js"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    bundle = (tmp_path / "app.bundle.js").read_text()
    assert "node:" not in bundle and "createLedger" in bundle

    with StaticServer({"/nucleus/": BUILD, "/": tmp_path}) as server:
        gp = open_page(browser, server, "/index.html", "window.bundlerResult !== undefined")
        try:
            out = gp.run("() => window.bundlerResult")
            gp.guard.check()
        finally:
            gp.context.close()
    assert out["length"] == 1 and out["record"]["payload"] == {"bundled": True} and len(out["hash"]) == 64
