"""Bus Mini's records in a table of their own (bus_mini_week), filled from the audit trail

Until this revision the flow kept its records as audit rows with subject ``bus_mini/<week>``:
``bus_mini_rundown`` (detail items, reporters, silent), ``bus_mini_upload_reminder`` (to),
``bus_mini_upload_escalated`` (to) and ``bus_mini_week`` (week, status, source, video_id,
title, url, published_at; the actor is who confirmed the upload, or ``system``). Each run's
rows become one ``bus_mini_week`` row. The audit rows stay: the trail is a log.

Written with ``sa.table`` and plain SQL, not the ORM models: the models will change, this
revision must keep doing what it did.

Revision ID: bus_mini_0001
Revises:
Depends on: 0001
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence, Union

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.legacy import audit_rows
from bapas_sop.store.models import UtcDateTime

revision: str = "bus_mini_0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ("bus_mini",)
depends_on: Union[str, Sequence[str], None] = "0001"

ACTIONS = ("bus_mini_rundown", "bus_mini_upload_reminder", "bus_mini_upload_escalated", "bus_mini_week")
SYSTEM = "system"


def upgrade() -> None:
    op.create_table(
        "bus_mini_week",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("rundown_sent_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("rundown_recipients", sa.Integer(), nullable=True),
        sa.Column("rundown_items", sa.Integer(), nullable=True),
        sa.Column("rundown_reporters", sa.Integer(), nullable=True),
        sa.Column("reminder_sent_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("recorded_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("video_id", sa.String(length=50), nullable=True),
        sa.Column("video_url", sa.String(length=500), nullable=True),
        sa.Column("video_title", sa.String(length=500), nullable=True),
        sa.Column("published_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("confirmed_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("announced_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("announced_to", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
    )
    with op.batch_alter_table("bus_mini_week", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bus_mini_week_week"), ["week"], unique=False)
        batch_op.create_index(batch_op.f("ix_bus_mini_week_status"), ["status"], unique=False)

    _move_audit_records()


def downgrade() -> None:
    with op.batch_alter_table("bus_mini_week", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bus_mini_week_status"))
        batch_op.drop_index(batch_op.f("ix_bus_mini_week_week"))
    op.drop_table("bus_mini_week")


# --------------------------------------------------------------------------- data

outbox_message = sa.table("outbox_message", sa.column("key", sa.String))
bus_mini_week = sa.table(
    "bus_mini_week",
    *(sa.column(name, sa.String) for name in (
        "week", "dag_id", "run_id", "status", "video_id", "video_url", "video_title", "source", "confirmed_by")),
    *(sa.column(name, sa.Integer) for name in ("rundown_recipients", "rundown_items", "rundown_reporters")),
    *(sa.column(name, UtcDateTime(timezone=True)) for name in (
        "created_at", "rundown_sent_at", "reminder_sent_at", "escalated_at", "recorded_at", "published_at")),
)


def _move_audit_records() -> None:
    """One row per run from its audit rows (the first of each action, as the flow wrote one)."""
    bind = op.get_bind()
    events = audit_rows(bind, ACTIONS)
    runs: dict[str, dict[str, Any]] = {}
    for event in events:
        detail = event["detail"] or {}
        week = detail.get("week") or str(event["subject"]).split("/", 1)[-1]
        # The flow always gave a run_id; a row without one stands for its week alone.
        run_id = event["run_id"] or f"audit/{event['subject']}"
        row = runs.setdefault(run_id, {"week": week, "dag_id": event["dag_id"], "run_id": run_id,
                                       "created_at": event["at"]})
        action = event["action"]
        if action == "bus_mini_rundown" and "rundown_sent_at" not in row:
            row.update(rundown_sent_at=event["at"], rundown_items=detail.get("items"),
                       rundown_reporters=detail.get("reporters"),
                       rundown_recipients=_rundown_recipients(bind, event["dag_id"], event["run_id"]))
        elif action == "bus_mini_upload_reminder" and "reminder_sent_at" not in row:
            row["reminder_sent_at"] = event["at"]
        elif action == "bus_mini_upload_escalated" and "escalated_at" not in row:
            row["escalated_at"] = event["at"]
        elif action == "bus_mini_week" and "status" not in row:
            actor = event["actor"]
            row.update(
                week=week, status=detail.get("status"), recorded_at=event["at"], video_id=detail.get("video_id"),
                video_url=detail.get("url"), video_title=detail.get("title"),
                published_at=_parse_time(detail.get("published_at")), source=detail.get("source"),
                confirmed_by=actor if actor and actor != SYSTEM else None,
            )
    columns = [c.name for c in bus_mini_week.columns]
    rows = [{name: row.get(name) for name in columns} for row in runs.values()]
    if rows:
        bind.execute(bus_mini_week.insert(), rows)


def _rundown_recipients(bind: sa.Connection, dag_id: str | None, run_id: str | None) -> int | None:
    """How many rundown emails the run queued (keys ``<dag_id>/<run_id>/rundown/<email>``)."""
    if not dag_id or not run_id:
        return None
    prefix = f"{dag_id}/{run_id}/rundown/"
    count = bind.execute(
        sa.select(sa.func.count()).select_from(outbox_message)
        .where(sa.func.substr(outbox_message.c.key, 1, len(prefix)) == prefix)
    ).scalar_one()
    return count or None


def _parse_time(value: Any) -> datetime | None:
    """The detail's ISO time (a naive one is UTC, as the flow's times are)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
