"""Every DAG file parses cleanly, is documented and owned, and stays light to parse.

The DAG processor re-parses every file all the time: a file must import nothing heavy
(pandas, numpy) and must not touch the project's database at parse time. Parse times are
printed for information only; the budget is checked in ``bench/parse_time.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = PROJECT / "dags"
DAG_FILES = sorted(p for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_"))

#: Modules a DAG file must not import at parse time: heavy libraries, and our database layer.
FORBIDDEN_AT_PARSE = ("pandas", "numpy", "matplotlib", "weasyprint", "bapas_sop.humantask", "bapas_sop.store.db")


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(str(DAGS_FOLDER))


def test_there_are_dag_files():
    assert DAG_FILES, f"no DAG files in {DAGS_FOLDER}"


def test_every_dag_file_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}, "\n".join(f"{path}:\n{error}" for path, error in dagbag.import_errors.items())
    files_with_dags = {Path(dag.fileloc).name for dag in dagbag.dags.values()}
    assert files_with_dags == {p.name for p in DAG_FILES}, "every file in dags/ defines at least one DAG"


def test_dag_ids_are_unique_across_files():
    """Parsed file by file, so that one file's DAG cannot silently replace another's."""
    from airflow.dag_processing.dagbag import DagBag

    ids: Counter[str] = Counter()
    for path in DAG_FILES:
        bag = DagBag(str(path))
        assert not bag.import_errors, bag.import_errors
        ids.update(list(bag.dags))
    assert [dag_id for dag_id, n in ids.items() if n > 1] == []


def test_every_dag_is_tagged_owned_retried_and_documented(dagbag):
    problems = []
    for dag_id, dag in sorted(dagbag.dags.items()):
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        if not (dag.doc_md or "").strip():
            problems.append(f"{dag_id}: no doc_md")
        for task in dag.tasks:
            if task.owner in (None, "", "airflow"):
                problems.append(f"{dag_id}.{task.task_id}: owner {task.owner!r}")
            if (task.retries or 0) < 1:
                problems.append(f"{dag_id}.{task.task_id}: retries {task.retries!r}")
    assert problems == []


def test_every_task_is_documented_or_part_of_a_human_step(dagbag):
    from bapas_sop.airflow.operators import HumanStep

    undocumented = [
        f"{dag_id}.{task.task_id}"
        for dag_id, dag in sorted(dagbag.dags.items())
        for task in dag.tasks
        if not (task.doc_md or "").strip() and not isinstance(task.task_group, HumanStep)
    ]
    assert undocumented == []


# A fresh interpreter per file: Airflow first (not measured, not judged), then the DAG file.
PROBE = r"""
import importlib.util, json, os, sys, time
import airflow.sdk  # Airflow's own import: not part of the measurement
before = set(sys.modules)
path = sys.argv[1]
sys.path.insert(0, os.path.dirname(path))  # as the DAG processor does
spec = importlib.util.spec_from_file_location("dag_under_test", path)
module = importlib.util.module_from_spec(spec)
started = time.perf_counter()
spec.loader.exec_module(module)
elapsed = time.perf_counter() - started
forbidden = json.loads(sys.argv[2])
print(json.dumps({
    "ms": elapsed * 1000,
    "loaded": [m for m in forbidden if m in sys.modules],
    "new_modules": len(set(sys.modules) - before),
}))
"""


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_light_and_leaves_the_database_alone(path: Path, tmp_path: Path):
    var = tmp_path / "var"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "BAPAS_VAR_DIR": str(var),
        "BAPAS_DB_URL": f"sqlite:///{var / 'bapas.db'}",
        "BAPAS_MAILDIR": str(var / "mail"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), json.dumps(FORBIDDEN_AT_PARSE)],
        capture_output=True, text=True, env=env, cwd=PROJECT, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\nparse time {path.name}: {result['ms']:.1f} ms after `import airflow.sdk` "
          f"({result['new_modules']} modules imported)")
    assert result["loaded"] == [], f"{path.name} imports {result['loaded']} at parse time"
    assert not (var / "bapas.db").exists(), f"{path.name} opened the project database at parse time"
