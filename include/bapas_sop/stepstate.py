"""The state of a human step as its waiting task sees it: the outcome, the park, the wake-ups.

Split from :mod:`bapas_sop.humantask` (which re-exports every name here) because a resumed
task starts in a fresh process and imports only this: the store and the audit trail, not the
staff directory (pandas), the mail outbox or the forms. Measured, a cold import of
``bapas_sop.humantask`` took 2.0 s against 0.8 s for the store alone, on the path between a
person's answer and their DAG going on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bapas_sop import audit
from bapas_sop.store.db import session_scope, upsert_dialect_insert
from bapas_sop.store.models import FormRequest, StepWake, utcnow

OPEN = "open"
ANSWERED = "answered"
EXPIRED = "expired"


def request_key(dag_id: str, run_id: str, step: str, round_no: int = 1) -> str:
    """Deterministic key of a step in a run: a retried task finds the request it made."""
    base = f"{dag_id}/{run_id}/{step}"
    return base if round_no <= 1 else f"{base}/r{round_no}"


@dataclass(frozen=True)
class RequestKey:
    """A request key read back into its parts: ``dag_id/run_id/step[/subject][/rN]``.

    The one reader of the format :func:`request_key` writes, so that no caller searches or
    splits keys itself. Neither a DAG id nor a run id may hold ``/`` (Airflow's own patterns),
    nor may a step id (it is a task group id); what follows the step is its ``subject`` when
    one step asks many people or about many things (``laporan_kegiatan/<nip>``), and a last
    ``rN`` (N >= 2) is a revision round (round 1 has no suffix).
    """

    dag_id: str
    run_id: str
    step: str
    subject: str | None = None
    round_no: int = 1

    @classmethod
    def parse(cls, key: str) -> RequestKey:
        parts = str(key).split("/")
        if len(parts) < 3 or not all(parts):
            raise ValueError(f"not a form request key: {key!r}")
        dag_id, run_id, step, *rest = parts
        round_no = 1
        if rest and rest[-1][:1] == "r" and rest[-1][1:].isdigit() and int(rest[-1][1:]) >= 2:
            round_no = int(rest.pop()[1:])
        return cls(dag_id, run_id, step, "/".join(rest) or None, round_no)

    def __str__(self) -> str:
        step = f"{self.step}/{self.subject}" if self.subject else self.step
        return request_key(self.dag_id, self.run_id, step, self.round_no)


def poll(key: str, *, now: datetime | None = None) -> dict[str, Any]:
    """What the sensor needs: the answer, or that the step expired, or that it still waits."""
    now = now or utcnow()
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == key))
        if request is None:
            return {"status": "missing", "key": key}
        if request.status == OPEN and now >= request.expires_at:
            _expire(session, request, now)
        return _outcome(request)


def _outcome(request: FormRequest) -> dict[str, Any]:
    outcome: dict[str, Any] = {"status": request.status, "key": request.key, "request_id": request.id}
    if request.status == ANSWERED and request.latest_response is not None:
        response = request.latest_response
        outcome.update(
            answer=response.data,
            answered_by=response.submitted_by_nip or response.submitted_by_email,
            answered_by_name=request.assignee_name,
            answered_at=response.submitted_at.isoformat(),
            substituted_for=request.original_assignee_nip,
        )
    elif request.status == EXPIRED:
        outcome["default_answer"] = request.context.get("_default_answer")
    elif request.status == OPEN:
        outcome["expires_at"] = request.expires_at.isoformat()
    return outcome


def _expire(session: Session, request: FormRequest, now: datetime) -> None:
    won = session.execute(
        update(FormRequest).where(FormRequest.id == request.id, FormRequest.status == OPEN).values(status=EXPIRED)
    ).rowcount
    if won:
        audit.record(
            session, actor="system", action="expired", subject=request.key, dag_id=request.dag_id,
            run_id=request.run_id, default_applied=request.context.get("_default_answer") is not None,
        )
        _promise_wake(session, request)
    session.flush()
    session.refresh(request)


# --- the task that waits -------------------------------------------------------------------


def _promise_wake(session: Session, request: FormRequest) -> None:
    """In the transaction that settles ``request``: remember that its waiting task (if one is
    parked on it) must be resumed. See :class:`~bapas_sop.store.models.StepWake`."""
    waiting = session.scalar(select(FormRequest.waiting_task_id).where(FormRequest.id == request.id))
    if waiting is None:
        return  # no task parked yet: the sensor reads the outcome itself before it parks
    insert = upsert_dialect_insert(session)
    session.execute(
        insert(StepWake).values(request_id=request.id, created_at=utcnow(), attempts=0)
        .on_conflict_do_nothing(index_elements=["request_id"])
    )


def mark_waiting(key: str, task_id: str, map_index: int) -> dict[str, Any]:
    """Record that task ``task_id[map_index]`` of the request's run parks on ``key``; return the
    step's outcome *after* the mark, so that an answer that came meanwhile is not missed.

    Ordering is what makes the two databases safe: an answer recorded before this mark is
    seen in the outcome returned here (the task does not park); one recorded after it finds
    the mark and leaves a :class:`StepWake` in its own transaction (the task is resumed).
    """
    with session_scope() as session:
        session.execute(
            update(FormRequest).where(FormRequest.key == key)
            .values(waiting_task_id=task_id, waiting_map_index=map_index)
        )
    return poll(key)


def release(key: str) -> None:
    """The waiting task has taken the step's outcome: nothing is left to resume for ``key``."""
    with session_scope() as session:
        request_id = session.scalar(select(FormRequest.id).where(FormRequest.key == key))
        if request_id is None:
            return
        session.execute(update(FormRequest).where(FormRequest.id == request_id)
                        .values(waiting_task_id=None, waiting_map_index=None))
        session.execute(delete(StepWake).where(StepWake.request_id == request_id))


def waiting_key(dag_id: str, run_id: str, task_id: str, map_index: int) -> str | None:
    """The request a task instance is parked on (the newest, for a loop), if any."""
    with session_scope() as session:
        return session.scalar(
            select(FormRequest.key)
            .where(FormRequest.dag_id == dag_id, FormRequest.run_id == run_id,
                   FormRequest.waiting_task_id == task_id, FormRequest.waiting_map_index == map_index)
            .order_by(FormRequest.id.desc()).limit(1)
        )


@dataclass(frozen=True)
class Wake:
    """A task instance to resume because its step settled: Airflow's coordinates and our key."""

    request_id: int
    key: str
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    attempts: int


def due_wakes(*, now: datetime | None = None, limit: int = 200) -> list[Wake]:
    """The waiting tasks to resume now: steps settled since their task parked, after expiring
    the open steps whose time is up (their default applies). Reads only what is due, through
    indexes, however many steps wait."""
    now = now or utcnow()
    with session_scope() as session:
        for request in session.scalars(
            select(FormRequest).where(FormRequest.status == OPEN, FormRequest.expires_at <= now).limit(limit)
        ).all():
            _expire(session, request, now)
    return _wakes(limit=limit)


def wakes_of(request_id: int) -> list[Wake]:
    """The wake of one request, if its task is to be resumed (right after its answer)."""
    return _wakes(request_id=request_id)


def _wakes(*, request_id: int | None = None, limit: int = 200) -> list[Wake]:
    query = (
        select(StepWake.request_id, StepWake.attempts, FormRequest.key, FormRequest.dag_id, FormRequest.run_id,
               FormRequest.waiting_task_id, FormRequest.waiting_map_index)
        .join(FormRequest, FormRequest.id == StepWake.request_id)
        .order_by(StepWake.created_at).limit(limit)
    )
    if request_id is not None:
        query = query.where(StepWake.request_id == request_id)
    with session_scope() as session:
        return [Wake(r.request_id, r.key, r.dag_id or "", r.run_id or "", r.waiting_task_id or "",
                     -1 if r.waiting_map_index is None else r.waiting_map_index, r.attempts)
                for r in session.execute(query).all()]


def wake_done(request_id: int) -> None:
    """The task of ``request_id`` was resumed, or has nothing left to resume (finished, cleared)."""
    with session_scope() as session:
        session.execute(delete(StepWake).where(StepWake.request_id == request_id))


def wake_later(request_id: int) -> None:
    """Keep the wake-up for another round: the task is on its way (resumed, or not parked yet)."""
    with session_scope() as session:
        session.execute(update(StepWake).where(StepWake.request_id == request_id)
                        .values(attempts=StepWake.attempts + 1))
