"""SQLAlchemy 2 models of the project's records.

Times are stored as timezone-aware UTC (``UtcDateTime``) and shown in WIB; SQLite would
otherwise hand back naive datetimes and comparisons with aware ones would fail.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """A datetime that always comes back timezone-aware in UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class FormRequest(Base):
    """One person asked to fill one form for one step of one DAG run.

    ``key`` is deterministic (``dag_id/run_id/step[/round]``) so that a retried task finds the
    request it already created instead of asking the person twice.
    """

    __tablename__ = "form_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))
    step: Mapped[str] = mapped_column(String(100))
    form_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(50))
    assignee_nip: Mapped[str | None] = mapped_column(String(50))
    assignee_name: Mapped[str] = mapped_column(String(200))
    assignee_email: Mapped[str] = mapped_column(String(200))
    # Who the step was meant for before a stand-in took it (leave, or a hand-over).
    original_assignee_nip: Mapped[str | None] = mapped_column(String(50))
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prefill: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    remind_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    escalate_to_role: Mapped[str | None] = mapped_column(String(50))
    escalate_to_email: Mapped[str | None] = mapped_column(String(200))
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    # Bumped whenever a new link is issued (hand-over): links carry it, so old links stop working.
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    # The Airflow task instance parked in ``awaiting_input`` on this request (same dag_id and
    # run_id): what an answer or an expiry resumes. Cleared when the task has taken the outcome.
    waiting_task_id: Mapped[str | None] = mapped_column(String(250))
    waiting_map_index: Mapped[int | None] = mapped_column(Integer)

    responses: Mapped[list[FormResponse]] = relationship(
        back_populates="request", order_by="FormResponse.revision"
    )

    __table_args__ = (
        Index("ix_form_request_status_due", "status", "due_at"),
        Index("ix_form_request_status_expires", "status", "expires_at"),
    )

    @property
    def latest_response(self) -> FormResponse | None:
        return self.responses[-1] if self.responses else None


class FormResponse(Base):
    """What a person answered; a change is a new revision, never an update in place."""

    __tablename__ = "form_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("form_request.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_nip: Mapped[str | None] = mapped_column(String(50))
    submitted_by_email: Mapped[str | None] = mapped_column(String(200))
    link_id: Mapped[str | None] = mapped_column(String(100))
    remote_addr: Mapped[str | None] = mapped_column(String(100))

    request: Mapped[FormRequest] = relationship(back_populates="responses")


class StepWake(Base):
    """A settled step whose waiting task is still to be resumed: written in the transaction
    that records the answer (or the expiry), deleted once the task has been resumed.

    The answer lives in this database and the task's state in Airflow's; a process can stop
    between the two writes. This row is the promise that the second one happens: whoever
    resumes tasks (the form page right after an answer, the API server's reconciler every few
    seconds) reads these rows only, so the cost does not grow with the steps that still wait.
    """

    __tablename__ = "step_wake"

    request_id: Mapped[int] = mapped_column(ForeignKey("form_request.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class OutboxMessage(Base):
    """An email to be sent exactly once; ``key`` names run, step, recipient and purpose."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    to_addr: Mapped[str] = mapped_column(String(500))
    cc_addr: Mapped[str | None] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a flusher took the row; a claim older than the timeout is released (crashed flusher).
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(300))


class AuditEvent(Base):
    """Who did what, when: independent of Airflow's tables, so clearing a task erases nothing."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50), index=True)
    subject: Mapped[str] = mapped_column(String(400), index=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LateAnswer(Base):
    """An answer given on another system after its step had closed: kept, never counted.

    One row per request and external answer (``link_id``), so that a later pass reading the
    same answer again recognises it (the audit trail logs it, but is not read back).
    """

    __tablename__ = "late_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("form_request.id"), index=True)
    link_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    answered_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("request_id", "link_id", name="uq_late_answer_request_link"),)


class GoogleForm(Base):
    """The Google Form behind a run's human steps, as far as it got.

    ``form_id`` is set the moment Google created the form (a retry finishes that form instead
    of creating a second one), ``form`` once it is filled and published (the
    :class:`~bapas_sop.google.forms.CreatedForm` as a dict, responder link included),
    ``shared``/``share_failed`` after sharing (``shared`` is None until it was tried),
    ``closed_at`` when the form stopped taking answers at its deadline.
    """

    __tablename__ = "google_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(400), index=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250))
    form_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    form: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    responder_url: Mapped[str | None] = mapped_column(String(500))
    edit_url: Mapped[str | None] = mapped_column(String(500))
    shared: Mapped[list[str] | None] = mapped_column(JSON)
    share_failed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    last_read_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("subject", "run_id", name="uq_google_form_subject_run"),)


class GoogleFormRejection(Base):
    """A Google Form answer refused (a vote for oneself, a forged code...): recorded once."""

    __tablename__ = "google_form_rejection"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(400), index=True)
    form_id: Mapped[str | None] = mapped_column(String(200))
    response_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(50))
    voter: Mapped[str | None] = mapped_column(String(50))
    submitted_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("subject", "response_id", name="uq_google_form_rejection_response"),)


class SkmInvitation(Base):
    """One personal link to the satisfaction survey (SKM), sent when a service to someone ended.

    ``key`` (service, subject and a keyed hash of the address) makes the invitation once per
    person and service, whatever retries happen. Only a hash of the link's token is kept: the
    database alone cannot answer for anyone. The address itself is not kept here (it is in the
    email); nothing links an invitation to its answer (see :class:`SkmResponse`).
    """

    __tablename__ = "skm_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    service: Mapped[str] = mapped_column(String(50), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class SkmResponse(Base):
    """One anonymous answer to the SKM: the service, the quarter and the nine scores.

    It carries no invitation id, no subject and only the day it came, so that the results
    cannot be traced back to the person who answered.
    """

    __tablename__ = "skm_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(String(50), index=True)
    answered_on: Mapped[str] = mapped_column(String(10), index=True)  # YYYY-MM-DD in WIB
    scores: Mapped[dict[str, Any]]
    comment: Mapped[str | None] = mapped_column(Text)
