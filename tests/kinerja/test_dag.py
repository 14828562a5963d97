"""The ``kinerja_sop`` DAG under ``dag.test()``: the month to the Kabapas, the quarter to the Kanwil."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bapas_sop.calendar import WIB
from tests.support.people import KABAPAS

DAG_FILE = Path(__file__).resolve().parents[2] / "dags" / "kinerja_sop.py"


@pytest.fixture(scope="module")
def kinerja_dag():
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    db.initdb()
    bag = DagBag(str(DAG_FILE))
    assert not bag.import_errors, bag.import_errors
    return bag.get_dag("kinerja_sop")


def _states(dagrun) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dagrun.get_task_instances()}


@pytest.mark.parametrize("periode, sent, skipped, to, subject", [
    ("2026-11", "kirim_laporan_bulanan", "kirim_laporan_triwulan", KABAPAS.email, "Laporan Kinerja SOP Inovasi November 2026"),
    ("2026-Q4", "kirim_laporan_triwulan", "kirim_laporan_bulanan", "kanwil.jambi@ditjenpas.example",
     "Laporan Kinerja SOP Inovasi Triwulan IV 2026"),
])
def test_a_chosen_period_sends_its_one_report(kinerja_dag, smtp_server, periode, sent, skipped, to, subject):
    from bapas_sop.mail.devserver import read_inbox

    dagrun = kinerja_dag.test(logical_date=datetime(2026, 12, 7, 9, 0, tzinfo=WIB), run_conf={"periode": periode})
    states = _states(dagrun)
    assert (states[sent], states[skipped]) == ("success", "skipped"), states
    [message] = read_inbox(smtp_server.maildir)
    assert (message.to, message.subject) == ([to], subject)
    assert message.attachments == [f"laporan-kinerja-sop-{periode}.pdf"]
