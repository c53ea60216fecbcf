"""js/src/generated/engine-rules.ts is what js/scripts/lib/engine_rules.py writes from this engine: the rules the
TypeScript package checks before a call reaches the engine (error codes, the OID pattern, limits) are the
engine's own, never a copy that could drift (`npm run build` regenerates the file)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import nucleus
from nucleus import _context, _json

ROOT = Path(__file__).resolve().parents[1]
GENERATOR = ROOT / "js" / "scripts" / "lib" / "engine_rules.py"
GENERATED = ROOT / "js" / "src" / "generated" / "engine-rules.ts"

pytestmark = pytest.mark.host_only  # runs a Python process and reads the repository's TypeScript


def test_the_generated_file_is_what_the_generator_writes_from_this_engine():
    expected = subprocess.run(
        [sys.executable, str(GENERATOR), str(ROOT / "py")], capture_output=True, text=True, check=True
    ).stdout
    assert GENERATED.read_text(encoding="utf-8") == expected, (
        "js/src/generated/engine-rules.ts is out of date: run `npm run build` in js/ "
        "(or `python js/scripts/lib/engine_rules.py py > js/src/generated/engine-rules.ts`)"
    )


def test_the_generated_file_holds_the_engines_values():
    text = GENERATED.read_text(encoding="utf-8")
    codes = re.search(r"export const ERROR_CODES = \[(.*?)\] as const;", text, re.S)
    assert codes and re.findall(r'"([A-Z_]+)"', codes.group(1)) == list(nucleus.ERROR_CODES)
    assert f"/^(?:{_context.OID_PATTERN.pattern})$/;" in text
    assert f"export const MAX_RECORD_BYTES = {nucleus.MAX_RECORD_BYTES};" in text
    assert f"export const MAX_FUTURE_SKEW_MS = {_context.MAX_FUTURE_SKEW_MS};" in text
    assert f"export const MAX_PARSE_DEPTH = {_json.MAX_PARSE_DEPTH};" in text


def test_a_pattern_the_generator_cannot_translate_stops_it(monkeypatch: pytest.MonkeyPatch):
    # \\d matches every Unicode digit in Python and only 0-9 in JavaScript: copied as it is, it would disagree.
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import engine_rules
    finally:
        sys.path.remove(str(GENERATOR.parent))
    monkeypatch.setattr(_context, "OID_PATTERN", re.compile(r"oid:onoal:\d+"))
    with pytest.raises(SystemExit, match="does not translate"):
        engine_rules.render()
