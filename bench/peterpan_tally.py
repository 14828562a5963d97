"""Benchmark of the Peterpan tally (``bapas_sop.sops.peterpan.rules.tally``): target < 100 ms for 100,000 ballots.

A synthetic survey far larger than the office (100,000 voters choosing among 300 candidates),
with the cases the checks must catch: 10 % abstentions (expired ballots), 1 % second votes by
the same person and the self-votes that random choices produce. Prints the median of several
runs after a warm-up, and what the tally found.

    .venv/bin/python bench/peterpan_tally.py [--ballots 100000] [--candidates 300] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import pandas as pd

TARGET_MS = 100.0


def ballots(n: int, candidates: int, seed: int = 2026) -> tuple[pd.DataFrame, list[str], list[str]]:
    rng = np.random.default_rng(seed)
    voters = [f"{19700101 + i:08d}2000011{i % 10:03d}"[:18] for i in range(n)]
    chosen = voters[:candidates]
    frame = pd.DataFrame({"voter": voters, "candidate": rng.choice(chosen, n)})
    frame.loc[rng.random(n) < 0.10, "candidate"] = None
    repeats = frame.sample(frac=0.01, random_state=seed).assign(candidate=lambda f: rng.choice(chosen, len(f)))
    return pd.concat([frame, repeats], ignore_index=True), voters, chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from bapas_sop.sops.peterpan.rules import tally

    frame, voters, candidates = ballots(args.ballots, args.candidates)
    tally(frame.head(100), voters[:100], candidates)  # warm-up (imports, first allocations)
    timings, cpu = [], []
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = tally(frame, voters, candidates)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    median = statistics.median(timings)
    reasons = result.rejected["reason"].value_counts().to_dict()
    print(f"tally of {len(frame):,} ballots ({args.ballots:,} voters, {args.candidates} candidates)")
    print(f"  median {median:.1f} ms, best {min(timings):.1f} ms over {args.runs} runs (target < {TARGET_MS:.0f} ms): "
          f"{'OK' if median < TARGET_MS else 'SLOW'}")
    print(f"  CPU time median {statistics.median(cpu):.1f} ms (wall time grows when other processes share the CPU; "
          f"load average {os.getloadavg()[0]:.1f})")
    print(f"  status {result.status}, winner {result.winner}, participation {result.participation:.1%}, "
          f"valid votes {result.total_votes:,}, rejected {reasons}")


if __name__ == "__main__":
    main()
