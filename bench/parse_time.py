"""Parse time of each DAG file, excluding Airflow's own import (target < 50 ms each).

Each file is parsed in a fresh interpreter after ``import airflow.sdk`` and one throw-away
DAG (Airflow's own start-up, paid once per DAG processor, not per file), the first time (cold: our package's
modules are imported too) and then again (warm: what a re-parse costs).

    .venv/bin/python bench/parse_time.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

PROBE = r"""
import importlib.util, json, sys, time
import airflow.sdk  # not measured
# The DAG processor has these loaded before it parses any file: they are Airflow's cost, not ours.
import airflow.models, airflow.providers_manager, airflow.api.common.trigger_dag
# Airflow imports its DAG machinery lazily on first use: pay that before measuring too.
from airflow.sdk import DAG, Param, TaskGroup, task
with DAG("warm_up", schedule=None, params={"p": Param(None, type=["null", "string"])}):
    with TaskGroup("g"):
        task(lambda: None, task_id="t")() >> task.short_circuit(lambda: True, task_id="s")()
path = sys.argv[1]
timings = []
for attempt in range(6):
    spec = importlib.util.spec_from_file_location(f"dagfile_{attempt}", path)
    module = importlib.util.module_from_spec(spec)
    started = time.perf_counter()
    spec.loader.exec_module(module)
    timings.append((time.perf_counter() - started) * 1000)
heavy = [m for m in ("pandas", "numpy", "matplotlib", "weasyprint", "bapas_sop.store.db") if m in sys.modules]
print(json.dumps({"cold": timings[0], "warm": sorted(timings[1:])[len(timings[1:]) // 2], "heavy": heavy}))
"""


def main() -> None:
    print(f"{'DAG file':32} {'cold ms':>8} {'warm ms':>8}  heavy modules imported")
    for path in sorted((PROJECT / "dags").glob("*.py")):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True,
            env={"AIRFLOW__CORE__LOAD_EXAMPLES": "False", "PATH": "/usr/bin:/bin",
                 "AIRFLOW_HOME": "/tmp/bapas-bench-airflow"},
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{path.name:32} {result['cold']:8.1f} {result['warm']:8.1f}  {', '.join(result['heavy']) or '-'}")


if __name__ == "__main__":
    main()
