"""Parsing JSON text that comes from outside (bridge requests, export lines) without crashing the runtime.

``json.loads`` recurses once per nesting level. Under Pyodide 314 in Node (default stack) about 6000 levels
overflow the wasm stack while parsing, and a parsed value about 3000 levels deep overflows it again when it is
freed: either way the runtime dies with a fatal error, with no Python exception to catch (on CPython the same
text raises ``RecursionError``, which is no ``ValueError`` either). So the nesting of outside text is measured
first, at C speed, and text nested deeper than ``MAX_PARSE_DEPTH`` is refused as not JSON (docs/ARCHITECTURE.md,
"What Pyodide changes"). Not public.
"""

from __future__ import annotations

import itertools
import json
import operator
import re
from typing import Any

# Above what a record may hold (64, _canonical.MAX_DEPTH: that limit is reported with the path where it is
# exceeded), below CPython's recursion limit (1000) and far below the depths that crash Pyodide. The same
# bound as the TypeScript package's (js/src/json.ts), which takes it from here (js/src/generated/engine-rules.ts).
MAX_PARSE_DEPTH = 256


class _Drop(dict):
    def __missing__(self, key: int) -> None:
        return None


# The skeleton of JSON text: its brackets and quotes. ``""`` pairs are then dropped (an empty string, or the end
# of one string and the start of the next: no bracket lies between them), so only strings holding a bracket,
# or a string left open (invalid JSON, which json.loads then reports), still have quotes.
_SKELETON = _Drop({ord(c): c for c in '[]{}"'})
_STRING = re.compile(r'"[^"]*"')
_PAIR = re.compile(r"\[\]|\{\}")  # one level of innermost pairs: one pass, so {[]} takes two
_STEP = bytes.maketrans(b'[{]}"', b"\x02\x02\x00\x00\x01")  # minus 1: +1, -1, 0


class NestingError(ValueError):
    """JSON text nested deeper than ``MAX_PARSE_DEPTH``."""


def nesting_depth(text: str) -> int:
    """The deepest bracket nesting of JSON ``text`` (brackets inside strings do not count)."""
    if "\\" in text:  # escaped backslashes first, then escaped quotes: neither opens or closes a string
        text = text.replace("\\\\", "").replace('\\"', "")
    skeleton = _STRING.sub("", text.translate(_SKELETON).replace('""', ""))
    # Innermost pairs go first, a level per pass at C speed: records are shallow, so little is left to walk.
    passes = 0
    while passes < MAX_PARSE_DEPTH:
        shorter = _PAIR.sub("", skeleton)
        if shorter == skeleton:
            break
        skeleton, passes = shorter, passes + 1
    steps = skeleton.encode("ascii").translate(_STEP)
    return passes + max(map(operator.sub, itertools.accumulate(steps), itertools.count(1)), default=0)


def loads(text: str | bytes) -> Any:
    """``json.loads(text)`` (text or its UTF-8 bytes), but ``NestingError`` (a ``ValueError``) for text nested
    deeper than ``MAX_PARSE_DEPTH``. Text with fewer brackets than that is not scanned."""
    if isinstance(text, (bytes, bytearray)):
        if text.count(b"[") + text.count(b"{") > MAX_PARSE_DEPTH:
            _check_depth(text.decode("utf-8"))  # a UnicodeDecodeError is a ValueError too
    elif text.count("[") + text.count("{") > MAX_PARSE_DEPTH:
        _check_depth(text)
    return json.loads(text)


def _check_depth(text: str) -> None:
    depth = nesting_depth(text)
    if depth > MAX_PARSE_DEPTH:
        raise NestingError(f"nesting {depth} levels deep (at most {MAX_PARSE_DEPTH} are parsed)")
