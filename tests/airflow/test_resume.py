"""Resuming parked human steps: what is not answered on a form page is resumed by the reconciler.

A one-step DAG runs under ``dag.test()`` (real task runner, real metadata database) while this
test plays the other side: it waits until the step is parked in ``awaiting_input``, settles
the step the way a task or the clock would (no form page involved), and runs the API server's
:func:`~bapas_sop.airflow.resume.reconcile` itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bapas_sop import humantask
from bapas_sop.airflow.resume import ReconcileResult
from bapas_sop.airflow.resume import reconcile as reconcile_after_settling

RINA = "198607212010122003"
DAG_ID = "uji_lanjut"
TASK = "foto.tunggu_jawaban"

pytestmark = pytest.mark.timeout(300)


def reconcile() -> ReconcileResult:
    """A round of the reconciler; ``dag.test()`` has no executor to race with (no settling)."""
    return reconcile_after_settling(timedelta(0))


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils import db

    db.initdb()


def _dag(default_answer: dict[str, Any] | None = None) -> Any:
    from airflow.sdk import DAG

    from bapas_sop.airflow.operators import human_step
    from bapas_sop.policy import StepPolicy

    with DAG(DAG_ID, schedule=None, catchup=False, default_args={"owner": "uji", "retries": 0}) as dag:
        human_step("foto", form="peterpan_foto", title="Foto kegiatan", assignee=f"nip:{RINA}",
                   policy=StepPolicy.from_config(default_answer=default_answer))
    _serialize(dag)
    return dag


def _serialize(dag: Any) -> None:
    """Write the test's DAG to the metadata database, as the DAG processor does with a file's."""
    import tempfile

    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    with tempfile.TemporaryDirectory() as empty:
        bag = DagBag(dag_folder=empty)
    bag.bag_dag(dag)
    sync_bag_to_db(bag, "dags-folder", None)


def _parked_key(timeout: float = 120) -> tuple[str, str]:
    """(run id, request key) of the step once its task is parked in awaiting_input."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with create_session() as session:
            ti = session.scalars(select(TaskInstance).where(
                TaskInstance.dag_id == DAG_ID, TaskInstance.task_id == TASK,
                TaskInstance.state == TaskInstanceState.AWAITING_INPUT,
            )).first()
            if ti is not None:
                return ti.run_id, humantask.request_key(DAG_ID, ti.run_id, "foto")
        time.sleep(0.2)
    raise AssertionError("the step never parked in awaiting_input")


def _run_while(dag: Any, other_side: Callable[[], Any]) -> tuple[Any, list[Any]]:
    """Run ``dag`` under dag.test() while ``other_side`` runs in a thread; (dagrun, [its result])."""
    results: list[Any] = []
    errors: list[BaseException] = []

    def play() -> None:
        try:
            results.append(other_side())
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
            # End the run: the step expires without a default and the task fails.
            from sqlalchemy import update

            from bapas_sop.store.db import session_scope
            from bapas_sop.store.models import FormRequest, utcnow

            with session_scope() as session:
                session.execute(update(FormRequest).where(FormRequest.status == "open").values(expires_at=utcnow()))
            reconcile()

    thread = threading.Thread(target=play, daemon=True)
    thread.start()
    dagrun = dag.test()
    thread.join(timeout=60)
    if errors:
        raise errors[0]
    return dagrun, results


def _xcom(dagrun: Any) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        value = session.scalars(select(XComModel.value).where(
            XComModel.dag_id == DAG_ID, XComModel.run_id == dagrun.run_id, XComModel.task_id == TASK,
            XComModel.key == "return_value",
        )).one()
    return value


def test_an_answer_brought_in_by_a_task_resumes_the_parked_step_once(project, smtp_server, airflow_db) -> None:
    """A Google Forms answer is recorded by a task, which cannot reach Airflow's database: its
    wake-up waits in the project's database and the reconciler resumes the task."""

    def answer_elsewhere() -> tuple[str, list[ReconcileResult]]:
        _run_id, key = _parked_key()
        assert reconcile().resumed == []  # nothing settled yet: nothing to resume
        saved = humantask.record_answer(key, {"tautan_foto": "https://drive.example/f.jpg"},
                                        answered_at=humantask.utcnow(), link_id="google/1", channel="google_forms")
        assert saved == "saved"
        # A task parked a moment ago is left for a later round (its worker's exit may not be
        # reported to the scheduler yet); the wake-up stays.
        held = reconcile_after_settling(timedelta(minutes=10))
        assert held.later == [key] and held.resumed == []
        rounds = [reconcile()]
        deadline = time.monotonic() + 60
        while humantask.due_wakes():  # until the resumed task has taken the answer
            assert time.monotonic() < deadline, "the resumed task never took the answer"
            time.sleep(0.3)
            rounds.append(reconcile())
        return key, rounds

    dagrun, [(key, rounds)] = _run_while(_dag(), answer_elsewhere)

    assert dagrun.state == "success"
    assert rounds[0].resumed == [key]
    assert all(r.resumed == [] for r in rounds[1:])  # resumed once: the task was no longer parked
    outcome = _xcom(dagrun)
    assert outcome["status"] == "answered" and outcome["answer"]["tautan_foto"] == "https://drive.example/f.jpg"
    assert reconcile() == ReconcileResult()  # nothing left to do


def test_an_expired_step_is_resumed_with_its_default_answer(project, smtp_server, airflow_db) -> None:
    def let_it_expire() -> str:
        from sqlalchemy import update

        from bapas_sop.store.db import session_scope
        from bapas_sop.store.models import FormRequest

        _run_id, key = _parked_key()
        with session_scope() as session:
            session.execute(update(FormRequest).where(FormRequest.key == key)
                            .values(expires_at=humantask.utcnow() - timedelta(seconds=1)))
        result = reconcile()  # expires the step (its default applies) and resumes the task
        assert result.resumed == [key]
        return key

    dagrun, [key] = _run_while(_dag(default_answer={"tautan_foto": None}), let_it_expire)

    assert dagrun.state == "success"
    outcome = _xcom(dagrun)
    assert outcome["key"] == key and outcome["status"] == "expired" and outcome["defaulted"] is True
