"""Writes js/src/generated/engine-rules.ts: the engine's rules that the TypeScript package checks before a call
reaches the engine (error codes, the OID pattern, limits), taken from the engine itself so that they are written
once, in Python.

    python js/scripts/lib/engine_rules.py [<folder holding the nucleus package>]   # the TypeScript on stdout

`npm run build` runs it (js/scripts/build.mjs) and writes its output to js/src/generated/engine-rules.ts, which
is committed; tests_py/test_engine_rules.py fails when that file is not what this script writes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# Python regex syntax that means the same in JavaScript: literal characters, character classes and counted
# repetition. Anything else (escapes such as \d, which match more than ASCII in Python, groups, anchors) would
# need translating, so it stops the build instead of being copied wrongly.
_PORTABLE_PATTERN = re.compile(r"(?:[A-Za-z0-9:_~@.,{}\[\]-]|\\[.-])+")


def _portable(pattern: str, name: str) -> str:
    if not _PORTABLE_PATTERN.fullmatch(pattern):
        raise SystemExit(f"{name} ({pattern!r}) uses regex syntax this generator does not translate to JavaScript")
    return pattern


def _string_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def render() -> str:
    """The TypeScript module, from the ``nucleus`` package on ``sys.path``."""
    import nucleus
    from nucleus import _context, _json, _records

    oid = _portable(_context.OID_PATTERN.pattern, "nucleus._context.OID_PATTERN")
    codes = "\n".join(f"  {json.dumps(code)}," for code in nucleus.ERROR_CODES)
    return f"""\
/**
 * The engine's rules that this package checks before a call reaches the engine, so that a mistake fails at
 * once with the engine's own verdict. Generated from the Python engine (py/nucleus) by
 * js/scripts/lib/engine_rules.py during `npm run build`: do not edit. tests_py/test_engine_rules.py fails
 * when this file is not what the generator writes. Not public (errors.ts re-exports `ERROR_CODES`).
 */

/**
 * Every stable error code, in the engine's order (`nucleus.ERROR_CODES`). The runtime also compares this
 * list with the loaded engine's and refuses to start when they differ.
 */
export const ERROR_CODES = [
{codes}
] as const;

/**
 * A requester's OID as the engine accepts it: `oid:onoal:<type>:<id>` (`nucleus._context.OID_PATTERN`,
 * docs/FORMAT.md §4a), matched whole.
 */
export const OID_PATTERN: RegExp = /^(?:{oid})$/;

/** How far a context's timestamp may lie in the future, in ms (`nucleus._context.MAX_FUTURE_SKEW_MS`). */
export const MAX_FUTURE_SKEW_MS = {_context.MAX_FUTURE_SKEW_MS};

/** The members a record may have (`nucleus._records.RECORD_FIELDS`, docs/FORMAT.md §1). */
export const RECORD_FIELDS: readonly string[] = {_string_list(list(_records.RECORD_FIELDS))};

/** The limit on a record's canonical form, in bytes (`nucleus.MAX_RECORD_BYTES`, docs/FORMAT.md §1). */
export const MAX_RECORD_BYTES = {nucleus.MAX_RECORD_BYTES};

/**
 * The deepest nesting of JSON the engine parses (`nucleus._json.MAX_PARSE_DEPTH`): deeper text would
 * overflow Pyodide's stack (docs/ARCHITECTURE.md, "What Pyodide changes").
 */
export const MAX_PARSE_DEPTH = {_json.MAX_PARSE_DEPTH};
"""


def main(argv: list[str]) -> None:
    engine_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[3] / "py"
    sys.path.insert(0, str(engine_dir))
    sys.stdout.write(render())


if __name__ == "__main__":
    main(sys.argv)
