"""``python -m nucleus``: the ``nucleus`` command (docs/CLI.md), as the npm package and the console script run it."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
