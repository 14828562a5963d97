"""Benchmark: Pekan Disiplin's attendance computation over one year of a 1,000-employee office.

Generates a year of fingerprint scans (2026, every working day of the office calendar, about
2% absences, 10% late, 5% early, 1% missing check-out, a few duplicate rows) and registered
leave/travel, then times :func:`bapas_sop.sops.pekan_disiplin.rules.attendance_days` (the whole
year at once) and :func:`~bapas_sop.sops.pekan_disiplin.rules.accumulate` with the PP 94/2021
levels, and reports their peak memory (tracemalloc). Target: under one second.

    .venv/bin/python bench/pekan_disiplin_attendance.py [EMPLOYEES]
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from datetime import date

import numpy as np
import pandas as pd

from bapas_sop.settings import get_settings
from bapas_sop.sops.pekan_disiplin import rules


def generate(employees: int, days: list[date], seed: int = 2026) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    nips = [f"19{80 + i % 20:02d}0101{2005 + i % 15}01{1 + i % 2}{i:03d}"[:18].ljust(18, "0") for i in range(employees)]
    n = employees * len(days)
    nip = np.repeat(np.array(nips, dtype=object), len(days))
    day = np.tile(np.array(days, dtype="datetime64[D]"), employees).astype("datetime64[ns]")
    masuk = 420 + rng.integers(0, 29, n).astype(float)
    late = rng.random(n) < 0.10
    masuk[late] = 451 + rng.integers(0, 90, late.sum())
    end = np.where(pd.DatetimeIndex(day).day_of_week == 4, 990, 960)
    pulang = (end + rng.integers(1, 30, n)).astype(float)
    early = rng.random(n) < 0.05
    pulang[early] = end[early] - rng.integers(5, 90, early.sum())
    pulang[rng.random(n) < 0.01] = np.nan
    keep = rng.random(n) >= 0.02
    scans = pd.DataFrame({"nip": nip[keep], "tanggal": day[keep], "masuk": masuk[keep].round(), "pulang": pulang[keep].round()})
    scans = pd.concat([scans, scans.sample(frac=0.005, random_state=seed)], ignore_index=True)  # duplicate rows
    starts = rng.choice(np.array(days, dtype="datetime64[D]"), employees)
    absences = pd.DataFrame({"nip": nips, "jenis": "cuti", "mulai": starts,
                             "selesai": starts + rng.integers(0, 10, employees).astype("timedelta64[D]")})
    return nips, scans, absences


def main(employees: int = 1000) -> None:
    config = rules.DisciplineRules.from_config(get_settings().config["pekan_disiplin"])
    days = rules.working_days(date(2026, 1, 1), date(2026, 12, 31), config)
    nips, scans, absences = generate(employees, days)
    print(f"{employees} pegawai, {len(days)} hari kerja, {len(scans):,} baris scan, {len(absences)} cuti")

    tracemalloc.start()
    started = time.perf_counter()
    frame = rules.attendance_days(scans, nips, days, absences, config)
    computed = time.perf_counter()
    incidents = frame[frame["insiden"]].assign(dimaafkan=False)
    totals = rules.accumulate(incidents, days, config)
    reached = rules.levels(totals, config)
    finished = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"attendance_days: {computed - started:.3f} s ({len(frame):,} hari-pegawai, {int(frame['insiden'].sum()):,} insiden)")
    print(f"accumulate + levels: {finished - computed:.3f} s ({int(reached['ambang'].notna().sum())} pegawai mencapai ambang)")
    print(f"total: {finished - started:.3f} s; puncak memori (tracemalloc): {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
