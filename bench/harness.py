"""Timing primitives and the per-Space runner: each Space is measured in a fresh process."""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Case:
    """One timed action of a Space; `baseline` (optional) is timed in the same run for a ratio."""

    action: str
    run: Callable[[], object]
    baseline: Callable[[], object] | None = None
    baseline_name: str = ""
    repeats: int = 20


def uncached(handler: Callable) -> Callable:
    """The handler under `edge.remember`: a remembered handler answers repeats from its cache, which would time
    a dict lookup; the bench times the computation a new visitor's arguments cost."""
    return getattr(handler, "__wrapped__", handler)


def percentiles(run: Callable[[], object], repeats: int, warmup: int = 2) -> tuple[float, float]:
    """(p50, p95) wall time in ms of `run()`, after `warmup` untimed calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def measure_space(name: str) -> dict:
    """Cold start (import the app: code + weights), then every case of bench/<name>.py; peak RSS."""
    started = time.perf_counter()
    from spaces.registry import discover, load_app_module

    space = next(s for s in discover() if s.name == name)
    app = load_app_module(space)
    cold_start_s = time.perf_counter() - started
    import importlib

    module = importlib.import_module(f"bench.spaces.{name.replace('-', '_')}")
    rows = []
    for case in module.cases(app):
        p50, p95 = percentiles(case.run, case.repeats)
        row = {"action": case.action, "p50_ms": p50, "p95_ms": p95}
        if case.baseline is not None:
            base50, _ = percentiles(case.baseline, case.repeats)
            row.update(baseline=case.baseline_name, baseline_p50_ms=base50, ratio=p50 / base50)
        rows.append(row)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"space": name, "cold_start_s": cold_start_s, "peak_rss_mb": peak_mb, "rows": rows}


if __name__ == "__main__":
    print(json.dumps(measure_space(sys.argv[1])))
