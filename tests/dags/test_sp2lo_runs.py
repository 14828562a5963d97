"""A case-per-run DAG must never queue a statutory clock (issue 9).

Airflow 3.3 keeps a new run queued while the DAG has ``max_active_runs`` runs running or queued
(``SchedulerJobRunner._start_queued_dagruns``): with the former limit of 50, the 51st open
Litmas got a case number and then waited, with its 72 hours running and no email. Running 200
open cases through ``dag.test()`` is too heavy, so these tests check what decides it: the
DAG's own limits against the configured number of open cases, the tasks' own cross-run
limits, and that the monitor still starts a run for every case registered without one.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SP2LO_FILE = PROJECT / "dags" / "sp2lo.py"
MONITOR_FILE = PROJECT / "dags" / "sp2lo_pemantauan.py"
#: Far above a Bapas' open Litmas at once (a few hundred); the configured number must not be lower.
LARGE = 1000


def _dag(path: Path, dag_id: str):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(path))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[dag_id]


def _configured_open_cases() -> int:
    from bapas_sop.settings import get_settings

    return int(get_settings().config["sp2lo"]["max_open_cases"])


def test_the_office_config_allows_far_more_open_cases_than_an_office_has():
    config = tomllib.loads((PROJECT / "include" / "config" / "bapas.toml").read_text())
    assert config["sp2lo"]["max_open_cases"] >= LARGE


def test_no_run_limit_below_the_configured_open_cases_can_queue_a_case():
    dag = _dag(SP2LO_FILE, "sp2lo")
    allowed = _configured_open_cases()
    assert allowed >= LARGE
    # Airflow compares running + queued runs with max_active_runs; 0 is not "unlimited" everywhere.
    assert dag.max_active_runs >= allowed
    # max_active_tasks is per run since Airflow 3: it bounds one case's parallel tasks, not cases.
    assert dag.max_active_tasks >= 1
    # No task may carry a limit across runs: that would hold the 2nd case's task behind the 1st.
    assert {t.task_id: t.max_active_tis_per_dag for t in dag.tasks if t.max_active_tis_per_dag is not None} == {}
    # The default pool does not count deferred tasks (the waiting human steps); a pool of our own might.
    assert {t.task_id: t.pool for t in dag.tasks if t.pool != "default_pool"} == {}


def test_the_limit_follows_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    source = (PROJECT / "include" / "config" / "bapas.toml").read_text()
    assert "max_open_cases = " in source
    config = tmp_path / "bapas.toml"
    config.write_text(source.replace("max_open_cases = ", "max_open_cases = 123456 #", 1))
    monkeypatch.setenv("BAPAS_CONFIG", str(config))
    assert _dag(SP2LO_FILE, "sp2lo").max_active_runs == 123456


def test_the_dag_doc_says_why_runs_are_never_queued():
    doc = _dag(SP2LO_FILE, "sp2lo").doc_md
    assert "max_active_runs" in doc and "max_open_cases" in doc and "queued" in doc


def test_the_monitor_starts_a_run_for_each_of_200_cases_without_one(project):
    """200 open cases registered while no run could start: the hourly monitor asks for a run of
    each, under the run id the form page uses (so a late duplicate is skipped, not doubled)."""
    from bapas_sop.calendar import WIB
    from bapas_sop.sops.sp2lo import service

    monitor = _dag(MONITOR_FILE, "sp2lo_pemantauan")
    received = (datetime.now(WIB) - timedelta(hours=1)).replace(microsecond=0, tzinfo=None)
    numbers = [
        service.register_request({
            "nomor_surat": f"B/{i}/XII/2026", "tanggal_surat": "2026-11-27", "instansi": "penyidik",
            "nama_instansi": "Polresta Jambi", "nama_klien": f"Klien {i}", "kategori": "anak",
            "jenis_litmas": "sidang_anak", "diterima_pada": received.isoformat(),
        }, channel="surat", actor="uji").case_number
        for i in range(200)
    ]
    found = monitor.get_task("permintaan_belum_diproses").python_callable()
    assert found == [{"conf": {"case_number": n}, "trigger_run_id": f"litmas__{n}"} for n in numbers]

    trigger = monitor.get_task("mulai_run_sp2lo")
    assert trigger.partial_kwargs["trigger_dag_id"] == "sp2lo"
    assert trigger.partial_kwargs["skip_when_already_exists"] is True
    assert _dag(SP2LO_FILE, "sp2lo").max_active_runs > len(numbers)  # all 200 start, none queued
