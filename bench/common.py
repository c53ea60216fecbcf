"""Shared benchmark helpers: timing, statistics, targets, the printed table and the JSON file.

Nothing here knows about Nucleus. The Node and browser benches mirror this module, so every bench
writes the same JSON shape (see bench/README.md):

    {"schema": 1, "engine": "...", "runtime": {...}, "mode": "full"|"quick", "started_at": "...",
     "elapsed_s": 12.3, "results": [Result, ...]}

A Result is ``{"id", "label", "unit", "value", "median", "p95", "n", "cpu_ms", "target", "pass", "note"}``:
``value`` is the headline number in ``unit`` (the one compared with ``target``); ``median``/``p95`` are
the per-sample statistics in ``unit`` (``null`` when there is one sample or the headline is derived);
``cpu_ms`` is the median CPU time per operation of the timing thread (user + system; ``null`` where the
runtime cannot tell), which a busy machine distorts less than wall time; ``target`` is
``{"op": "<"|"<="|">=", "value": x}`` or ``null``; ``pass`` is ``true``/``false``/``null``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

# The project's targets (issue 2), keyed by result id. Every engine's bench compares against these.
TARGETS: dict[str, dict[str, Any]] = {
    "append.sqlite_full": {"op": "<", "value": 0.5},  # ms, median
    "batch10k.sqlite": {"op": ">=", "value": 50_000},  # entries/s
    "open_verify.10k": {"op": "<", "value": 100},  # ms, median
    "open_verify.100k": {"op": "<", "value": 1000},  # ms, median
    "query.module_100k": {"op": "<=", "value": 5},  # ms, median (issue 11)
    "rss.open_100k": {"op": "<=", "value": 30},  # MB added
}


# -- timing ----------------------------------------------------------------------------------------------


@dataclass
class Samples:
    """Per-operation wall-clock seconds and the calling thread's CPU seconds (user + system)."""

    wall: list[float]
    cpu: list[float]


def time_each(fn: Callable[[int], Any], n: int, warmup: int = 0) -> Samples:
    """Call ``fn(i)`` for ``warmup`` untimed then ``n`` timed calls; the time each timed call took."""
    for i in range(warmup):
        fn(i)
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    wall, cpu = [], []
    for i in range(warmup, warmup + n):
        c0 = cpu_clock()
        t0 = clock()
        fn(i)
        wall.append((clock() - t0) / 1e9)
        cpu.append((cpu_clock() - c0) / 1e9)
    return Samples(wall, cpu)


def time_repeat(
    fn: Callable[[Any], Any],
    reps: int,
    setup: Callable[[int], Any] | None = None,
    teardown: Callable[[Any], Any] | None = None,
) -> Samples:
    """``reps`` timed calls of ``fn(setup(rep))``; ``setup`` and ``teardown(result)`` run outside the timing."""
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    wall, cpu = [], []
    for rep in range(reps):
        arg = setup(rep) if setup else None
        c0 = cpu_clock()
        t0 = clock()
        result = fn(arg)
        wall.append((clock() - t0) / 1e9)
        cpu.append((cpu_clock() - c0) / 1e9)
        if teardown:
            teardown(result)
    return Samples(wall, cpu)


# -- statistics ------------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between closest ranks."""
    if not samples:
        raise ValueError("no samples")
    data = sorted(samples)
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50)


# -- results ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    id: str
    label: str
    unit: str
    value: float
    median: float | None = None
    p95: float | None = None
    n: int = 1
    cpu_ms: float | None = None
    target: dict[str, Any] | None = None
    passed: bool | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["pass"] = data.pop("passed")
        return data


def meets(value: float, target: dict[str, Any]) -> bool:
    op, limit = target["op"], target["value"]
    if op == "<":
        return value < limit
    if op == "<=":
        return value <= limit
    if op == ">=":
        return value >= limit
    if op == ">":
        return value > limit
    raise ValueError(f"unknown target op {op!r}")


def result(
    rid: str,
    label: str,
    unit: str,
    value: float,
    *,
    samples: Sequence[float] | None = None,
    scale: float = 1.0,
    cpu: Sequence[float] | None = None,
    note: str = "",
) -> Result:
    """A Result compared with ``TARGETS[rid]``. ``samples`` times ``scale`` gives median and p95 in ``unit``;
    ``cpu`` (seconds per operation) gives ``cpu_ms``."""
    med = p95 = None
    n = len(samples) if samples else 1
    if samples and n > 1:
        med = median(samples) * scale
        p95 = percentile(samples, 95) * scale
    cpu_ms = median(cpu) * 1e3 if cpu else None
    target = TARGETS.get(rid)
    passed = None if target is None else meets(value, target)
    return Result(rid, label, unit, value, med, p95, n, cpu_ms, target, passed, note)


def latency_result(rid: str, label: str, samples: Samples, note: str = "") -> Result:
    """Headline = median wall time in ms."""
    return result(
        rid, label, "ms", median(samples.wall) * 1e3, samples=samples.wall, scale=1e3, cpu=samples.cpu, note=note
    )


def throughput_result(rid: str, label: str, count: int, samples: Samples, note: str = "") -> Result:
    """Headline = ``count`` / median wall seconds, in entries/s; the note gives the per-run wall time."""
    wall = samples.wall
    r = result(
        rid,
        label,
        "entries/s",
        count / median(wall),
        cpu=samples.cpu,
        note=f"{note}{median(wall) * 1e3:.0f} ms/run (p95 {percentile(wall, 95) * 1e3:.0f})",
    )
    r.n = len(wall)
    return r


# -- output ----------------------------------------------------------------------------------------------


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 10_000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def format_table(results: Sequence[Result]) -> str:
    """A plain-text table: workload, value, unit, median, p95, n, CPU ms per op, target, pass mark, note."""
    header = ("workload", "value", "unit", "median", "p95", "n", "cpu ms/op", "target", "ok", "note")
    rows = []
    for r in results:
        target = "" if r.target is None else f"{r.target['op']} {_fmt(r.target['value'])}"
        mark = "" if r.passed is None else ("PASS" if r.passed else "FAIL")
        rows.append(
            (
                r.label,
                _fmt(r.value),
                r.unit,
                _fmt(r.median),
                _fmt(r.p95),
                str(r.n),
                _fmt(r.cpu_ms),
                target,
                mark,
                r.note,
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    right = {1, 3, 4, 5, 6}

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    return "\n".join(out)


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages, where the OS has them (a busy box skews every number)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def runtime_info(**extra: Any) -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        **extra,
    }


def write_json(
    path: Path, engine: str, mode: str, started: float, results: Sequence[Result], runtime: dict[str, Any]
) -> None:
    payload = {
        "schema": SCHEMA_VERSION,
        "engine": engine,
        "runtime": runtime,
        "mode": mode,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "elapsed_s": round(time.time() - started, 2),
        "results": [r.to_json() for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")


def finish(
    path: Path, engine: str, mode: str, started: float, results: Sequence[Result], runtime: dict[str, Any]
) -> None:
    """The closing lines every bench prints (targets passed and failed), then the JSON, and where it went."""
    failed = [r.label for r in results if r.passed is False]
    print(f"\ntargets: {sum(r.passed is True for r in results)} pass, {len(failed)} fail")
    write_json(path, engine, mode, started, results, runtime)
    print(f"wrote {path.resolve()}")


# -- memory ----------------------------------------------------------------------------------------------


def proc_status_kb(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (``VmRSS``, ``VmHWM``), or None where there is no procfs."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux ≥ 4.0); whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
