"""Run in a fresh process: how much resident memory opening (and verifying) a SQLite ledger adds.

    python3 bench/rss_probe.py PATH LEDGER_ID

Prints one JSON object: ``baseline_kb`` (RSS after imports, before open), ``peak_kb`` (peak RSS by the
time ``Ledger.open`` returned), ``added_kb`` and the ``method`` used. On Linux the peak mark (VmHWM) is
reset after the imports, so import-time peaks do not count; elsewhere it falls back to ``ru_maxrss``.
"""

from __future__ import annotations

import gc
import json
import resource
import sqlite3  # noqa: F401  (imported before the baseline on purpose)
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "py"))

from common import proc_status_kb, reset_peak_rss
from nucleus import Ledger, SqliteStorage


def main() -> None:
    path, ledger_id = sys.argv[1], sys.argv[2]
    gc.collect()
    hwm_reset = reset_peak_rss()
    baseline = proc_status_kb("VmRSS")
    if baseline is None:  # no procfs: ru_maxrss (kB on Linux, bytes on macOS) is all there is
        scale = 1 if sys.platform.startswith("linux") else 1 / 1024
        baseline = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale)
    ledger = Ledger.open(ledger_id, SqliteStorage(path))
    size = len(ledger)
    if hwm_reset:
        peak, method = proc_status_kb("VmHWM"), "VmHWM after clear_refs reset, minus VmRSS before open"
    else:
        scale = 1 if sys.platform.startswith("linux") else 1 / 1024
        peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale)
        method = "ru_maxrss after open minus RSS before open (import peaks may count)"
    ledger.close()
    print(
        json.dumps(
            {"entries": size, "baseline_kb": baseline, "peak_kb": peak, "added_kb": peak - baseline, "method": method}
        )
    )


if __name__ == "__main__":
    main()
