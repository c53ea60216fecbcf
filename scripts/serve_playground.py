"""Serves the Nucleus playground: ``python3 scripts/serve_playground.py [--port 8000]``.

The page (web/playground/) is served at ``/`` and the package's browser build (js/dist/browser/, made by
``cd js && npm run build``) at ``/nucleus/``, from 127.0.0.1 only. Open the printed URL in a browser.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from static_server import StaticServer

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND = ROOT / "web" / "playground"
BROWSER_BUILD = ROOT / "js" / "dist" / "browser"


def playground_server(port: int = 0) -> StaticServer:
    """The playground's server (not started): the page at /, the browser build at /nucleus/."""
    return StaticServer({"/": PLAYGROUND, "/nucleus/": BROWSER_BUILD}, port=port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks one)")
    args = parser.parse_args(argv)
    if not (BROWSER_BUILD / "nucleus.js").is_file():
        print(
            f"{BROWSER_BUILD}/nucleus.js is missing: build the package first with `cd js && npm ci && npm run build`",
            file=sys.stderr,
        )
        return 2
    with playground_server(args.port) as server:
        print(f"Nucleus playground: {server.url('/')}   (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
