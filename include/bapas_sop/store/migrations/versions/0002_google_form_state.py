"""Google Form state and late answers in tables of their own, filled from the audit trail.

Until this revision the core read its own audit rows back to decide: a half-created Google
Form was resumed from ``google_form_started``/``_created``/``_shared``, a closed form was
known by ``google_form_closed``, a refusal already told by ``google_response_rejected``, and
an answer that came after its step had closed by ``answer_too_late``. The trail is a log
only, so this creates ``google_form``, ``google_form_rejection`` and ``late_answer`` and writes
into them what those rows hold; the audit rows stay. The data part uses ``sa.table`` and plain
Python, not the ORM models, so that later changes to the models cannot break it.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.legacy import audit_event
from bapas_sop.store.models import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STARTED = "google_form_started"
CREATED = "google_form_created"
SHARED = "google_form_shared"
CLOSED = "google_form_closed"
REJECTED = "google_response_rejected"
TOO_LATE = "answer_too_late"


def upgrade() -> None:
    op.create_table(
        "google_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("form_id", sa.String(length=200), nullable=True),
        sa.Column("form", sa.JSON(), nullable=True),
        sa.Column("responder_url", sa.String(length=500), nullable=True),
        sa.Column("edit_url", sa.String(length=500), nullable=True),
        sa.Column("shared", sa.JSON(), nullable=True),
        sa.Column("share_failed", sa.JSON(), nullable=False),
        sa.Column("started_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("published_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_read_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_id"),
        sa.UniqueConstraint("subject", "run_id", name="uq_google_form_subject_run"),
    )
    with op.batch_alter_table("google_form", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_google_form_subject"), ["subject"], unique=False)

    op.create_table(
        "google_form_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("form_id", sa.String(length=200), nullable=True),
        sa.Column("response_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=50), nullable=False),
        sa.Column("voter", sa.String(length=50), nullable=True),
        sa.Column("submitted_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject", "response_id", name="uq_google_form_rejection_response"),
    )
    with op.batch_alter_table("google_form_rejection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_google_form_rejection_subject"), ["subject"], unique=False)

    op.create_table(
        "late_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("answered_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["form_request.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "link_id", name="uq_late_answer_request_link"),
    )
    with op.batch_alter_table("late_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_late_answer_request_id"), ["request_id"], unique=False)

    _move_audit_rows()


def downgrade() -> None:
    with op.batch_alter_table("late_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_late_answer_request_id"))
    op.drop_table("late_answer")
    with op.batch_alter_table("google_form_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_google_form_rejection_subject"))
    op.drop_table("google_form_rejection")
    with op.batch_alter_table("google_form", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_google_form_subject"))
    op.drop_table("google_form")


# --- data: what the audit rows hold, as the code before this revision wrote them -----------------

form_request = sa.table("form_request", sa.column("id", sa.Integer), sa.column("key", sa.String))
google_form = sa.table(
    "google_form",
    sa.column("subject", sa.String), sa.column("dag_id", sa.String), sa.column("run_id", sa.String),
    sa.column("form_id", sa.String), sa.column("form", sa.JSON), sa.column("responder_url", sa.String),
    sa.column("edit_url", sa.String), sa.column("shared", sa.JSON), sa.column("share_failed", sa.JSON),
    sa.column("started_at", UtcDateTime(timezone=True)), sa.column("published_at", UtcDateTime(timezone=True)),
    sa.column("last_read_at", UtcDateTime(timezone=True)), sa.column("closed_at", UtcDateTime(timezone=True)),
)
google_form_rejection = sa.table(
    "google_form_rejection",
    sa.column("subject", sa.String), sa.column("form_id", sa.String), sa.column("response_id", sa.String),
    sa.column("reason", sa.String), sa.column("voter", sa.String),
    sa.column("submitted_at", UtcDateTime(timezone=True)), sa.column("recorded_at", UtcDateTime(timezone=True)),
)
late_answer = sa.table(
    "late_answer",
    sa.column("request_id", sa.Integer), sa.column("link_id", sa.String), sa.column("channel", sa.String),
    sa.column("data", sa.JSON), sa.column("answered_at", UtcDateTime(timezone=True)),
    sa.column("recorded_at", UtcDateTime(timezone=True)),
)


def _time(value: Any, fallback: datetime) -> datetime:
    if not value:
        return fallback
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _edit_url(form_id: str) -> str:
    return f"https://docs.google.com/forms/d/{form_id}/edit"


def _move_audit_rows() -> None:
    conn = op.get_bind()
    events = conn.execute(
        sa.select(audit_event)
        .where(audit_event.c.action.in_((STARTED, CREATED, SHARED, CLOSED, REJECTED, TOO_LATE)))
        .order_by(audit_event.c.id)
    ).mappings().all()

    forms: dict[tuple[str, str | None], dict[str, Any]] = {}  # (subject, run_id) → row, in order
    closed: list[Any] = []
    rejections: dict[tuple[str, str], dict[str, Any]] = {}
    late: dict[tuple[int, str], dict[str, Any]] = {}
    request_ids = {key: id_ for id_, key in conn.execute(sa.select(form_request.c.id, form_request.c.key))}

    for e in events:
        detail = dict(e["detail"] or {})
        action = e["action"]
        if action in (STARTED, CREATED, SHARED):
            row = forms.setdefault((e["subject"], e["run_id"]), {
                "subject": e["subject"], "dag_id": e["dag_id"], "run_id": e["run_id"], "form_id": None,
                "form": None, "responder_url": None, "edit_url": None, "shared": None, "share_failed": {},
                "started_at": e["at"], "published_at": None, "last_read_at": None, "closed_at": None,
            })
            form_id = detail.get("form_id") or (detail.get("form") or {}).get("form_id")
            if form_id:
                row["form_id"] = form_id
                row["edit_url"] = _edit_url(form_id)
            if action == CREATED:
                row["form"] = detail["form"]
                row["responder_url"] = detail["form"].get("responder_uri")
                row["published_at"] = e["at"]
            elif action == SHARED:
                row["shared"] = list(detail.get("shared") or [])
                row["share_failed"] = dict(detail.get("share_failed") or {})
        elif action == CLOSED:
            closed.append(e)
        elif action == REJECTED:
            response_id = detail.get("response_id")
            if response_id and (e["subject"], response_id) not in rejections:
                rejections[(e["subject"], response_id)] = {
                    "subject": e["subject"], "form_id": None, "response_id": response_id,
                    "reason": str(detail.get("reason") or ""), "voter": detail.get("voter"),
                    "submitted_at": _time(detail.get("submitted_at"), e["at"]), "recorded_at": e["at"],
                }
        elif action == TOO_LATE:
            request_id = request_ids.get(e["subject"])
            link_id = detail.get("link_id")
            if request_id is not None and link_id and (request_id, link_id) not in late:
                late[(request_id, link_id)] = {
                    "request_id": request_id, "link_id": link_id, "channel": detail.get("channel") or "",
                    "data": dict(detail.get("answer") or {}),
                    "answered_at": _time(detail.get("answered_at"), e["at"]), "recorded_at": e["at"],
                }

    by_form_id = {row["form_id"]: row for row in forms.values() if row["form_id"]}
    for e in closed:
        form_id = (e["detail"] or {}).get("form_id")
        if not form_id:
            continue
        row = by_form_id.get(form_id)
        if row is None:  # a form this trail has no creation of: still known as closed
            row = by_form_id[form_id] = forms[(e["subject"], f"closed:{form_id}")] = {
                "subject": e["subject"], "dag_id": e["dag_id"], "run_id": e["run_id"], "form_id": form_id,
                "form": None, "responder_url": None, "edit_url": _edit_url(form_id), "shared": None,
                "share_failed": {}, "started_at": e["at"], "published_at": None, "last_read_at": None,
                "closed_at": None,
            }
        if row["closed_at"] is None:
            row["closed_at"] = e["at"]

    # A response id belongs to one form: the rejection gets the form of its subject when there is one.
    forms_of_subject: dict[str, list[str]] = {}
    for row in forms.values():
        if row["form_id"]:
            forms_of_subject.setdefault(row["subject"], []).append(row["form_id"])
    for rejection in rejections.values():
        candidates = forms_of_subject.get(rejection["subject"], [])
        if len(candidates) == 1:
            rejection["form_id"] = candidates[0]

    if forms:
        op.bulk_insert(google_form, list(forms.values()))
    if rejections:
        op.bulk_insert(google_form_rejection, list(rejections.values()))
    if late:
        op.bulk_insert(late_answer, list(late.values()))
