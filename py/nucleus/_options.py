"""Ledger options, checked once at open. Not public."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._errors import ConfigError

LEDGER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~:@-]{0,127}")
_KEYS = {
    "strictValidation": "strict_validation",
    "strict_validation": "strict_validation",
    "maxEntries": "max_entries",
    "max_entries": "max_entries",
    "enableMetrics": "enable_metrics",
    "enable_metrics": "enable_metrics",
    "uniqueIds": "unique_ids",
    "unique_ids": "unique_ids",
}


def check_ledger_id(value: Any) -> str:
    """A ledger id: 1–128 characters of letters, digits and ``. _ ~ : @ -``, starting with a letter or digit."""
    if type(value) is not str or not LEDGER_ID.fullmatch(value):
        raise ConfigError(
            f"ledger id must be 1–128 characters of letters, digits and . _ ~ : @ - "
            f"(starting with a letter or digit), got {value!r}"
        )
    return value


@dataclass(frozen=True, slots=True)
class LedgerOptions:
    """``strict_validation``: records must carry their own timestamp. ``max_entries``: refuse appends past
    this length (``LEDGER_FULL``). ``enable_metrics``: count operations (``Ledger.metrics()``).
    ``unique_ids``: refuse a record whose id the ledger already holds."""

    strict_validation: bool = False
    max_entries: int | None = None
    enable_metrics: bool = False
    unique_ids: bool = False

    @classmethod
    def parse(cls, options: Any) -> LedgerOptions:
        """Options from camelCase or snake_case keys; unknown keys are an error."""
        if options is None:
            return cls()
        if isinstance(options, LedgerOptions):
            return options
        if type(options) is not dict:
            raise ConfigError(f"options must be an object, got {type(options).__name__}")
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key not in _KEYS:
                known = "strictValidation, maxEntries, enableMetrics, uniqueIds"
                raise ConfigError(f"unknown option {key!r}; known: {known}")
            values[_KEYS[key]] = value
        for name in ("strict_validation", "enable_metrics", "unique_ids"):
            if type(values.get(name, False)) is not bool:
                raise ConfigError(f"option {name} must be a boolean")
        max_entries = values.get("max_entries")
        if max_entries is not None and (type(max_entries) is not int or max_entries < 1):
            raise ConfigError(f"option maxEntries must be a positive integer, got {max_entries!r}")
        return cls(**values)
