"""Benchmark of the SP2LO overdue check (``bapas_sop.sops.sp2lo.rules.overdue_frame``).

The hourly monitor runs this check over every open Litmas; it must stay cheap however many
cases pile up. This script builds synthetic open cases with numpy (1,000,000 by default),
times the check (median of several runs) and measures its peak memory, then prints a table.

Targets: under 50 ms and under 500 MB peak for 1,000,000 cases.

    .venv/bin/python bench/overdue_check.py [--rows 1000000] [--runs 7]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import datetime

import numpy as np
import pandas as pd

from bapas_sop.calendar import WIB
from bapas_sop.sops.sp2lo.rules import OPEN_STAGES, overdue_frame

TARGET_MS = 50.0
TARGET_MB = 500.0
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=WIB)


def synthetic_cases(rows: int, seed: int = 2026) -> pd.DataFrame:
    """Open Litmas cases whose clocks started up to 20 days ago, with the default rules' spans."""
    rng = np.random.default_rng(seed)
    now_ns = pd.Timestamp(NOW).value
    start_ns = now_ns - rng.integers(0, 20 * 86_400, rows, dtype=np.int64) * 1_000_000_000
    span_hours = rng.choice(np.array([72, 72, 168, 336], dtype=np.int64), rows)
    deadline_ns = start_ns + span_hours * 3_600 * 1_000_000_000
    deadline_ns[rng.random(rows) < 0.05] = np.iinfo(np.int64).min  # awaiting PK appointment
    stages = sorted(OPEN_STAGES)
    return pd.DataFrame(
        {
            "case_number": np.char.add("W10.PAS.PAS.16-", np.arange(rows).astype(str)),
            "start_at": pd.DatetimeIndex(start_ns.view("M8[ns]")).tz_localize("UTC")
            .tz_convert("Asia/Jakarta"),
            "deadline_at": pd.DatetimeIndex(deadline_ns.view("M8[ns]")).tz_localize("UTC")
            .tz_convert("Asia/Jakarta"),
            "stage": pd.Categorical.from_codes(rng.integers(0, len(stages), rows), stages),
            "reminders_sent": rng.choice(np.array([0.0, 0.0, 0.5, 0.8]), rows),
        }
    )


def median_ms(cases: pd.DataFrame, runs: int) -> tuple[float, float]:
    """Median and best wall time of ``overdue_frame`` in milliseconds (one warm-up run)."""
    overdue_frame(cases, NOW)
    timings = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        overdue_frame(cases, NOW)
        timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings), min(timings)


def traced_peak_mb(cases: pd.DataFrame) -> float:
    """Peak bytes allocated (numpy and Python) during one check, as traced by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        result = overdue_frame(cases, NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / 2**20


def maxrss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    cases = synthetic_cases(args.rows)
    build_s = time.perf_counter() - t0
    rss_before = maxrss_mb()
    frame_mb = cases.memory_usage(deep=False).sum() / 2**20

    med, best = median_ms(cases, args.runs)
    peak = traced_peak_mb(cases)
    as_text = cases.assign(stage=cases["stage"].astype(str))
    med_text, best_text = median_ms(as_text, args.runs)
    rss_after = maxrss_mb()

    out = overdue_frame(cases, NOW)
    print(f"SP2LO overdue check, {args.rows:,} open Litmas cases, {args.runs} runs "
          f"(data built in {build_s:.1f} s; pandas {pd.__version__}, numpy {np.__version__})")
    print(f"  overdue {int(out['overdue'].sum()):,}, reminders due "
          f"{int(out['reminder_due'].notna().sum()):,}, without deadline "
          f"{int(out['deadline_at'].isna().sum()):,}")
    print()
    rows = [
        ("median time, categorical stage", f"{med:.1f} ms", f"< {TARGET_MS:.0f} ms",
         med < TARGET_MS),
        ("best time, categorical stage", f"{best:.1f} ms", "", None),
        ("median time, text stage", f"{med_text:.1f} ms", f"< {TARGET_MS:.0f} ms",
         med_text < TARGET_MS),
        ("best time, text stage", f"{best_text:.1f} ms", "", None),
        ("peak allocated (tracemalloc)", f"{peak:.0f} MB", f"< {TARGET_MB:.0f} MB",
         peak < TARGET_MB),
        ("input frame (without strings)", f"{frame_mb:.0f} MB", "", None),
        ("process max RSS before checks", f"{rss_before:.0f} MB", "", None),
        ("process max RSS after checks", f"{rss_after:.0f} MB", f"< {TARGET_MB:.0f} MB",
         rss_after < TARGET_MB),
    ]
    print(f"  {'measure':34s} {'value':>10s}  {'target':>9s}  result")
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:34s} {value:>10s}  {target:>9s}  {verdict}")
    return 0 if med < TARGET_MS and peak < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
