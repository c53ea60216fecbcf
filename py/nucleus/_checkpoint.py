"""Checkpoints: ``{size, hash}`` a user keeps elsewhere to detect truncation, rollback and forks.

A chain proves that nothing inside it changed; it cannot prove that nothing was cut off its end or that
it was not rebuilt from an earlier point. A checkpoint can: entry ``size - 1`` of the ledger must still
have ``hash``. Its text form is ``nucleus checkpoint v1\\n<size>\\n<hash>\\n``, parsed strictly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._errors import ArgumentError

_HASH = re.compile(r"[0-9a-f]{64}")
_HEADER = "nucleus checkpoint v1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The ledger had ``size`` entries and the last one had ``hash``."""

    size: int
    hash: str | None

    def to_json(self) -> dict[str, Any]:
        """``{size, hash}``."""
        return {"size": self.size, "hash": self.hash}

    def to_text(self) -> str:
        """The strict text form (for files and logs)."""
        return f"{_HEADER}\n{self.size}\n{self.hash or ''}\n"

    @classmethod
    def parse(cls, value: Any) -> Checkpoint:
        """A checkpoint from its dict, its text form, or itself; ``INVALID_ARGUMENT`` when malformed."""
        if isinstance(value, Checkpoint):
            return value
        if isinstance(value, str):
            lines = value.split("\n")
            if len(lines) != 4 or lines[0] != _HEADER or lines[3] != "" or not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
                raise ArgumentError("checkpoint text must be 'nucleus checkpoint v1\\n<size>\\n<hash>\\n'")
            value = {"size": int(lines[1]), "hash": lines[2] or None}
        if type(value) is not dict or set(value) != {"size", "hash"}:
            raise ArgumentError(f"a checkpoint is {{size, hash}}, got {value!r}")
        size, h = value["size"], value["hash"]
        if type(size) is not int or size < 0:
            raise ArgumentError(f"checkpoint size must be a non-negative integer, got {size!r}")
        if (size == 0) != (h is None) or (h is not None and (type(h) is not str or not _HASH.fullmatch(h))):
            raise ArgumentError(f"checkpoint hash must be 64 lowercase hex digits (null for size 0), got {h!r}")
        return cls(size, h)
