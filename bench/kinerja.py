"""Benchmark of the SOP performance view (issue 13): a year of a large office, target < 2 s.

Builds a throw-away project database with 100 staff and 50,000 human steps spread over a year
(on time, late, expired with a default, still open; reminders, escalations, stand-ins and
hand-overs in realistic shares), then times:

* ``step_records`` — reading the year's steps from the store into a frame;
* ``classify`` + ``summarise`` per SOP, per role and per person, and the six-month trend;
* ``kinerja_context`` — everything the page shows for one month (all of the above plus the
  SOPs' outcome figures, the chart and the SKM), without the PDF.

Prints the median of several runs after a warm-up and the peak memory allocated
(tracemalloc) of one context.

    .venv/bin/python bench/kinerja.py [--steps 50000] [--staff 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

TARGET_S = 2.0
DAGS = ("sp2lo", "peterpan", "bus_mini", "gaji_umr", "langkah_manusia")
ROLES = ("pk", "kabapas", "kasubsi_bka", "kasubsi_bkd", "pegawai", "humas", "keuangan")


def fill(steps: int, staff: int, seed: int = 2026) -> None:
    from sqlalchemy import insert

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest

    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    nips = [f"1980010120050110{i:02d}"[:18] for i in range(staff)]
    opened = rng.uniform(0, 360 * 24, steps)
    given = rng.choice([24, 72, 168], steps)
    taken = rng.gamma(2.0, given / 3)
    fate = rng.random(steps)
    rows = []
    for i in range(steps):
        created = start + timedelta(hours=float(opened[i]))
        due = created + timedelta(hours=int(given[i]))
        status = "answered" if fate[i] < 0.9 else ("expired" if fate[i] < 0.97 else "open")
        rows.append({
            "key": f"bench/run{i // 4}/step{i}", "dag_id": DAGS[i % len(DAGS)], "run_id": f"run{i // 4}",
            "step": f"step{i % 4}", "form_name": "x", "title": "t", "role": ROLES[i % len(ROLES)],
            "assignee_nip": nips[i % staff], "assignee_name": "-", "assignee_email": "x@bapas.example",
            "original_assignee_nip": nips[(i + 1) % staff] if fate[i] < 0.03 else None,
            "link_version": 2 if 0.03 <= fate[i] < 0.05 else 1, "context": {"_default_answer": {}} if status == "expired" else {},
            "prefill": {}, "status": status, "created_at": created, "due_at": due, "remind_at": None, "escalate_at": None,
            "expires_at": due + timedelta(days=7), "reminded_at": due if taken[i] > given[i] * 0.8 else None,
            "escalated_at": due if status != "answered" or taken[i] > given[i] else None,
            "answered_at": created + timedelta(hours=float(taken[i])) if status == "answered" else None,
        })
    with session_scope() as session:
        for chunk in range(0, len(rows), 5000):
            session.execute(insert(FormRequest), rows[chunk:chunk + 5000])


def timed(fn, runs: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--staff", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="bapas-bench-kinerja-"))
    os.environ["BAPAS_VAR_DIR"] = str(var)
    os.environ["BAPAS_DB_URL"] = f"sqlite:///{var / 'bapas.db'}"
    from bapas_sop.calendar import WIB
    from bapas_sop.kinerja.records import step_records
    from bapas_sop.kinerja.report import kinerja_context, month_period
    from bapas_sop.kinerja.steps import classify, last_months, summarise, trend
    from bapas_sop.store import migrate

    migrate()
    began = time.perf_counter()
    fill(args.steps, args.staff)
    print(f"filled {args.steps:,} steps for {args.staff} staff in {time.perf_counter() - began:.1f} s (SQLite, {var})")

    year = (datetime(2026, 1, 1, tzinfo=WIB), datetime(2027, 1, 1, tzinfo=WIB))
    now = datetime(2026, 12, 31, 12, tzinfo=WIB)
    frame = step_records(*year)

    def compute(records=frame) -> None:
        steps = classify(records, now)
        summarise(steps, ["sop"])
        summarise(steps, ["role"])
        summarise(steps, ["assignee_nip", "section"])
        trend(steps, by="sop", months=last_months(now, 6))

    period = month_period(2026, 11)
    results = {
        "read the year's steps (step_records)": timed(lambda: step_records(*year), args.runs),
        "classify + per SOP/role/person + trend": timed(compute, args.runs),
        "whole page context, one month (kinerja_context)": timed(lambda: kinerja_context(period, now=now), args.runs),
        "read + compute, whole year": timed(lambda: compute(step_records(*year)), args.runs),
    }
    for label, times in results.items():
        print(f"{label:50s} median {statistics.median(times) * 1000:8.1f} ms   worst {max(times) * 1000:8.1f} ms")
    tracemalloc.start()
    kinerja_context(period, now=now)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory allocated by one page context: {peak / 2**20:.1f} MiB")
    whole = statistics.median(results["read + compute, whole year"])
    print(f"target < {TARGET_S:.1f} s for a year of {args.staff} staff and {args.steps:,} steps: "
          f"{'met' if whole < TARGET_S else 'NOT met'} ({whole:.2f} s)")


if __name__ == "__main__":
    main()
