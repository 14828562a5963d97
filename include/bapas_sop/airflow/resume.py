"""Resuming a human step's task the moment its step settles, and reconciling what was missed.

A waiting human step is a task instance parked in Airflow's ``awaiting_input`` state (see
:class:`~bapas_sop.airflow.sensors.FormResponseSensor`): no worker, no trigger, no triggerer,
nothing reads it while the person thinks. What releases it is the act that settles the step:

* an answer on the form page: the forms app runs inside the API server, next to Airflow's
  metadata database, and resumes the task right after the answer is stored
  (:func:`resume_request`);
* everything else that settles a step (an expiry with or without a default, an answer brought
  in from Google Forms by a task, an answer stored while the API server was down) leaves a
  :class:`~bapas_sop.store.models.StepWake` row in the same transaction, and the
  :class:`Reconciler` in the API server delivers it within ``[human_steps] reconcile_seconds``.

Resuming is what Airflow's own HITL route does (``routes/public/hitl.py``): lock the task
instance row, and if it is still parked, ``handle_event_submit`` sets it to scheduled with the
event in ``next_kwargs``; the scheduler queues it and the sensor's ``execute_complete`` reads
the outcome from the project's database. The event carries the request key only: the answer
never enters Airflow's tables. A second resume finds the task no longer parked and does nothing.

Both functions need Airflow's metadata database, so they run in the API server (or in a test
process that shares it), never in a task: under Airflow 3 a task has no database session.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bapas_sop.stepstate import Wake

log = logging.getLogger(__name__)

#: A task parked less than this long ago is resumed by a later round, not now. The worker that
#: parked it reports its exit to the scheduler some time after the park; a task resumed and
#: queued again before the scheduler has read that report is failed by it as "killed
#: externally" (the same try number finished twice; Airflow 3.3.2 excuses only a task still
#: *scheduled*, see ``process_executor_events``, and apache/airflow#72716 for deferral). Measured
#: here: the report came 1 s after the park on a quiet machine, 6 s at a load of 10 on 2 cores.
#: People answer minutes after the email, so only an answer given within seconds waits the
#: difference; should the race still happen, the task's retry reads the answer (the SOP DAGs retry).
PARK_SETTLE = timedelta(seconds=15)

#: After this many rounds (about 24 minutes at the default 2 s) a wake-up whose task neither
#: parked nor took the outcome is dropped with a warning; a task that runs later still reads
#: the outcome itself, and the scheduler's timeout of the park remains the last safety net.
MAX_ATTEMPTS = 720


@dataclass
class ReconcileResult:
    resumed: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # nothing left to resume (task done or cleared)
    later: list[str] = field(default_factory=list)  # the task is on its way (not parked, or resumed already)


def resume(wake: Wake, settle: timedelta = PARK_SETTLE) -> str:
    """Resume the task instance of ``wake`` if it is parked; ``resumed``, ``finished`` or ``later``."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import handle_event_submit
    from airflow.triggers.base import TriggerEvent
    from airflow.utils.session import create_session
    from airflow.utils.sqlalchemy import with_row_locks
    from airflow.utils.state import State, TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        query = select(TaskInstance).where(
            TaskInstance.dag_id == wake.dag_id,
            TaskInstance.run_id == wake.run_id,
            TaskInstance.task_id == wake.task_id,
            TaskInstance.map_index == wake.map_index,
        )
        ti = session.scalars(with_row_locks(query, of=TaskInstance, session=session)).one_or_none()
        if ti is None or ti.state is None or ti.state in State.finished:
            return "finished"
        if ti.state != TaskInstanceState.AWAITING_INPUT:
            return "later"  # running towards its park, or already scheduled: look again soon
        if ti.updated_at is not None and datetime.now(timezone.utc) - ti.updated_at < settle:
            return "later"  # parked a moment ago: its worker's exit is not reported yet
        handle_event_submit(TriggerEvent({"key": wake.key}), task_instance=ti, session=session)
        return "resumed"


def _deliver(wakes: list[Wake], result: ReconcileResult, settle: timedelta = PARK_SETTLE) -> None:
    """Resume what is parked. A wake-up is kept until the task has taken the outcome (its
    sensor deletes it, :func:`bapas_sop.stepstate.release`) or has ended otherwise: a resume
    that does not hold (``dag.test()`` writes the state it saw back over a resume that came
    within the same instant) is seen again by the next round and resumed again."""
    from bapas_sop import stepstate

    for wake in wakes:
        if not wake.task_id:
            stepstate.wake_done(wake.request_id)
            continue
        outcome = resume(wake, settle)
        if outcome == "finished" or wake.attempts >= MAX_ATTEMPTS:
            if outcome != "finished":
                log.warning("Task %s of %s never took the outcome of %s; dropping its wake-up",
                            wake.task_id, wake.run_id, wake.key)
            stepstate.wake_done(wake.request_id)
            result.finished.append(wake.key)
            continue
        stepstate.wake_later(wake.request_id)
        (result.resumed if outcome == "resumed" else result.later).append(wake.key)


def resume_request(request_id: int) -> ReconcileResult:
    """Resume the task waiting on one request, right after its answer was stored.

    Best effort: whatever goes wrong leaves the wake for the :class:`Reconciler`.
    """
    from bapas_sop import stepstate

    result = ReconcileResult()
    try:
        _deliver(stepstate.wakes_of(request_id), result)
    except Exception:  # noqa: BLE001 - the answer is stored; the reconciler resumes the task later
        log.exception("Resuming the task of request %s failed; the reconciler will try again", request_id)
    return result


def reconcile(settle: timedelta = PARK_SETTLE) -> ReconcileResult:
    """Expire the steps whose time is up and resume every task whose step has settled.

    Reads the due wakes only (indexed), so its cost does not grow with the steps still waiting.
    """
    from bapas_sop import stepstate

    result = ReconcileResult()
    _deliver(stepstate.due_wakes(), result, settle)
    if result.resumed or result.finished:
        log.info("Human steps: %d task(s) resumed, %d had nothing left to resume",
                 len(result.resumed), len(result.finished))
    return result


class Reconciler:
    """A daemon thread that calls :func:`reconcile` every ``interval`` seconds.

    One per process that serves the forms (each API server worker): concurrent reconcilers are
    safe, the task instance row is locked and a task no longer parked is left alone.

    :param settle: see :data:`PARK_SETTLE`; ``dag.test()`` has no executor to race with, so
        the test suites resume at once (``timedelta(0)``).
    """

    _current: Reconciler | None = None
    _guard = threading.Lock()

    def __init__(self, interval: float, settle: timedelta = PARK_SETTLE) -> None:
        self.interval = interval
        self.settle = settle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bapas-reconciler", daemon=True)

    @classmethod
    def ensure_running(cls, interval: float | None = None) -> Reconciler:
        """Start this process's reconciler unless it runs already."""
        with cls._guard:
            if cls._current is None or not cls._current._thread.is_alive():
                if interval is None:
                    from bapas_sop.settings import get_settings

                    interval = float(get_settings().config["human_steps"].get("reconcile_seconds", 2))
                cls._current = cls(interval)
                cls._current._thread.start()
            return cls._current

    def start(self) -> Reconciler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> Reconciler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                reconcile(self.settle)
            except Exception as exc:  # noqa: BLE001 - a database hiccup: try again next round
                log.warning("Reconciling human steps failed: %s", exc)
            self._stop.wait(self.interval)
