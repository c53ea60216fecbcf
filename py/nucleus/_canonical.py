"""RFC 8785 (JCS) canonical JSON, with the value checks that make it well defined.

Not public. ``canonicalize(value)`` returns the canonical UTF-8 bytes or raises ``ValidationError``
naming the offending path. Values must be what JSON and RFC 8785 can carry without change: ``dict``
with ``str`` keys, ``list``/``tuple``, ``str`` of valid Unicode, ``bool``, ``None``, ``int`` within
±(2^53−1) and finite ``float`` whose RFC 8785 spelling, when it has no ``.`` or exponent (so that it reads
back as an integer), is within ±(2^53−1) too: ``1e20`` (spelled ``100000000000000000000``) is refused,
``1e21`` (``1e+21``) is not. Anything else is refused, never coerced.

Speed: the common case (no floats, no keys outside the Basic Multilingual Plane) is serialized by the
C ``json`` encoder with ``sort_keys``, which equals JCS there: code-point order equals UTF-16 order for
BMP keys, and ``json.dumps(ensure_ascii=False)`` escapes exactly what JCS escapes (RFC 8785 §3.2.2.2).
Everything else takes the pure-Python path below; the test suite proves both byte-identical to the
``rfc8785`` package.
"""

from __future__ import annotations

import json
import math
import re
from itertools import repeat
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ._errors import ValidationError

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64
# ECMAScript spells a number with an exponent from 1e21 up (and below 1e-6); an integral double below it gets
# plain digits (docs/FORMAT.md, Records: the number rule).
_EXPONENT_FROM = 1e21

# The C encoder, built once, without circular-reference markers (_check bounds the depth first).
# Where a Python build lacks the C accelerator, the stdlib encoder gives the same text, slower.
if c_make_encoder is not None:
    _c_encoder = c_make_encoder(None, None, encode_basestring, None, ":", ",", True, False, False)
else:  # pragma: no cover - CPython and Pyodide both ship _json
    _py_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")).encode

    def _c_encoder(value: Any, _indent: int) -> list[str]:
        return [_py_encode(value)]


def _dumps(value: Any) -> str:
    return "".join(_c_encoder(value, 0))


_dump_str = json.JSONEncoder(ensure_ascii=False).encode


class _Bad(Exception):
    """Internal: a bad value, with the path collected while unwinding."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.path: list[str] = []


def _describe(value: Any) -> str:
    return type(value).__name__


def _is_astral(key: str) -> bool:
    return not key.isascii() and any(ord(c) > 0xFFFF for c in key)


_SCALARS = frozenset({str, bool, type(None)})


def _check(value: Any, depth: int) -> bool:
    """Raise _Bad for a value JCS cannot carry; return True when the slow serializer is needed.

    Scalars inside containers are checked inline: records are mostly scalars, and a call per scalar
    doubled the cost of an append.
    """
    t = type(value)
    if t is dict:
        if depth >= MAX_DEPTH:
            raise _Bad(f"nesting deeper than {MAX_DEPTH} levels")
        slow = False
        for k, v in value.items():
            if type(k) is not str:
                raise _Bad(f"object key {k!r} is a {_describe(k)}; JSON keys must be strings")
            if not slow and not k.isascii() and _is_astral(k):
                slow = True
            tv = type(v)
            if tv in _SCALARS or (tv is int and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER):
                continue
            try:
                if _check(v, depth + 1):
                    slow = True
            except _Bad as bad:
                bad.path.append(f".{k}")
                raise
        return slow
    if t is list or t is tuple:
        if depth >= MAX_DEPTH:
            raise _Bad(f"nesting deeper than {MAX_DEPTH} levels")
        slow = False
        for i, v in enumerate(value):
            tv = type(v)
            if tv in _SCALARS or (tv is int and -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER):
                continue
            try:
                if _check(v, depth + 1):
                    slow = True
            except _Bad as bad:
                bad.path.append(f"[{i}]")
                raise
        return slow
    if t in _SCALARS:
        return False
    if t is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return False
        raise _Bad(f"integer {value} is outside ±(2^53−1); JavaScript cannot represent it exactly")
    if t is float:
        if not math.isfinite(value):
            raise _Bad(f"{value!r} is not a JSON number")
        if MAX_SAFE_INTEGER < abs(value) < _EXPONENT_FROM and value.is_integer():
            # Spelled with plain digits (RFC 8785), it reads back as an integer beyond ±(2^53−1), which import,
            # the CLI and Node refuse: refusing it here keeps every runtime accepting the same values.
            raise _Bad(
                f"number {value!r} is spelled {format_number(value)} in canonical JSON, which reads back as an "
                "integer outside ±(2^53−1); JavaScript cannot represent it exactly"
            )
        return True
    raise _Bad(f"a {_describe(value)} is not a JSON value")


def _find_surrogate(value: Any, path: str) -> str | None:
    """Path of the first string (or key) holding a lone surrogate, for the error message."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _find_surrogate(k, f"{path} (key {k!r})") or _find_surrogate(v, f"{path}.{k}")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _find_surrogate(v, f"{path}[{i}]")
            if found:
                return found
    return None


def format_number(value: float) -> str:
    """ECMAScript Number::toString of a finite double (RFC 8785 §3.2.2.3)."""
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return str(int(value))  # exact, and the shortest form; larger integral doubles need the digits below
    sign = "-" if value < 0 else ""
    text = repr(abs(value))  # shortest round-trip digits, like ECMAScript
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition(".")
    all_digits = int_part + frac_part
    stripped = all_digits.lstrip("0")
    point = len(int_part) - (len(all_digits) - len(stripped)) + exponent  # value = 0.DIGITS × 10^point
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    e = point - 1
    exp_str = ("e+" if e >= 0 else "e-") + str(abs(e))
    if k == 1:
        return sign + digits + exp_str
    return sign + digits[0] + "." + digits[1:] + exp_str


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _serialize(value: Any, out: list[str]) -> None:
    t = type(value)
    if t is dict:
        out.append("{")
        first = True
        for k in sorted(value, key=_utf16_key):
            if not first:
                out.append(",")
            first = False
            out.append(_dump_str(k))
            out.append(":")
            _serialize(value[k], out)
        out.append("}")
    elif t is list or t is tuple:
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _serialize(v, out)
        out.append("]")
    elif t is float:
        out.append(format_number(value))
    elif t is str:
        out.append(_dump_str(value))
    else:  # int, bool, None: the json encoder's spelling is JCS's
        out.append(json.dumps(value))


# Prefilters over the C encoder's output for values that came from json.loads (str keys, JSON types only).
# A match means "maybe not RFC 8785 as is" and sends the value down the exact path: a float spelled by
# repr (digit then . or e), an integer of 16+ digits (|n| > 2^53−1 needs 16), more brackets than the depth
# limit, or a character outside the BMP (keys must then sort by UTF-16). Matches inside strings only cost
# speed, never correctness. The scans run on the UTF-8 bytes translated to marks (digits to "0", ".eE" to "e",
# the lead byte of a 4-byte sequence, i.e. a character outside the BMP, to "a", the rest to " "): one C pass
# and three substring searches, where an sre search cost 4 us per record in Pyodide and ran once per record.
_MARKS = bytes(
    ord("0") if 0x30 <= i <= 0x39 else ord("e") if i in b".eE" else ord("a") if i >= 0xF0 else ord(" ")
    for i in range(256)
)
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _marks_pass(data: bytes) -> bool:
    marks = data.translate(_MARKS)
    return b"0e" not in marks and b"0" * 16 not in marks and b"a" not in marks


def _decoded_fast(value: Any) -> tuple[str, bytes] | None:
    """The canonical text and bytes of a json.loads result when cheap scans prove the C encoder's output is
    RFC 8785; None when the exact path must judge (a lone surrogate included: encoding fails)."""
    try:
        text = _dumps(value)
        data = text.encode("utf-8")
    except (ValueError, TypeError, RecursionError):
        return None
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH or not _marks_pass(data):
        return None
    return text, data


def decoded_batch(values: list[Any]) -> tuple[list[str], list[bytes]] | None:
    """The canonical texts and bytes of many json.loads results, when the scans of ``canonical_pair``'s fast path
    pass for all of them at once (stricter: the brackets bound is the largest count of either kind summed); None
    when any of them must take the exact path. No Python-level step per value: ``map`` over C functions."""
    try:
        texts = list(map("".join, map(_c_encoder, values, repeat(0))))
        datas = list(map(str.encode, texts))
    except (ValueError, TypeError, RecursionError):
        return None
    if max(map(bytes.count, datas, repeat(b"{"))) + max(map(bytes.count, datas, repeat(b"["))) > MAX_DEPTH:
        return None
    if not _marks_pass(b" ".join(datas)):
        return None
    return texts, datas


def canonical_pair(value: Any, *, what: str = "value", json_decoded: bool = False) -> tuple[str, bytes]:
    """The RFC 8785 text of ``value`` and its UTF-8 bytes; ``ValidationError`` if it is not valid JSON data.

    ``json_decoded=True`` promises that ``value`` is what ``json.loads`` returned (so every key is a str and
    every value a JSON type); it lets most values skip the Python-level walk, which matters in Pyodide.
    """
    fast = _decoded_fast(value) if json_decoded else None
    if fast is not None:
        return fast
    try:
        slow = _check(value, 0)
    except _Bad as bad:
        where = "".join(reversed(bad.path))
        raise ValidationError(f"{what}{where}: {bad.message}", details={"path": f"{what}{where}"}) from None
    if slow:
        out: list[str] = []
        _serialize(value, out)
        text = "".join(out)
    else:
        text = _dumps(value)
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        where = _find_surrogate(value, what) or what
        raise ValidationError(
            f"{where}: string holds a lone surrogate, which is not valid Unicode",
            details={"path": where},
        ) from None


def canonicalize(value: Any, *, what: str = "value") -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``; ``ValidationError`` if it is not valid JSON data."""
    return canonical_pair(value, what=what)[1]
