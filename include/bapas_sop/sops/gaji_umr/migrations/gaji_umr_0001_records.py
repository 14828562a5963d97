"""Gaji UMR's records in tables of their own, filled from the audit rows that held them.

Before this revision the month's activity, proposal, selection, participants' list and report,
each contact's answer and the participation history were audit rows (``gaji_umr_*``
actions, subjects ``gaji_umr/<month>``, ``gaji_umr/<month>/klien/<id>`` and
``gaji_umr/klien/<id>``). They are copied into ``gaji_umr_month`` (one row per run) and
``gaji_umr_client`` (one row per client and month); the audit rows stay, the trail is a log.

Written with ``sa.table`` and plain SQL rather than the ORM models, so that it keeps working
whatever the models become later.

Revision ID: gaji_umr_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.legacy import audit_event as _audit
from bapas_sop.store.models import UtcDateTime

revision: str = "gaji_umr_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("gaji_umr",)
depends_on: str | Sequence[str] | None = "0001"

_MONTH_ACTIONS = ("gaji_umr_activity", "gaji_umr_proposed", "gaji_umr_selected", "gaji_umr_participants",
                  "gaji_umr_report", "gaji_umr_contact")
_STATUSES = ("dikonfirmasi", "hadir", "tidak_hadir", "menolak", "tidak_terhubung")


def upgrade() -> None:
    op.create_table(
        "gaji_umr_month",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("section", sa.String(length=10), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("kegiatan", sa.String(length=300), nullable=True),
        sa.Column("tempat", sa.String(length=300), nullable=True),
        sa.Column("tanggal", sa.Date(), nullable=True),
        sa.Column("jam", sa.String(length=5), nullable=True),
        sa.Column("activity_note", sa.Text(), nullable=True),
        sa.Column("suggested", sa.Boolean(), nullable=True),
        sa.Column("activity_by", sa.String(length=200), nullable=True),
        sa.Column("activity_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("proposed", sa.JSON(), nullable=True),
        sa.Column("eligible", sa.Integer(), nullable=True),
        sa.Column("proposed_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("selected", sa.JSON(), nullable=True),
        sa.Column("selection_note", sa.Text(), nullable=True),
        sa.Column("selected_by", sa.String(length=200), nullable=True),
        sa.Column("selected_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("participants_sent_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("attended", sa.Integer(), nullable=True),
        sa.Column("invited", sa.Integer(), nullable=True),
        sa.Column("staff", sa.Integer(), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=True),
        sa.Column("reported_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
    )
    with op.batch_alter_table("gaji_umr_month", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gaji_umr_month_month"), ["month"], unique=False)

    op.create_table(
        "gaji_umr_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("client_id", sa.String(length=50), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("contact_status", sa.String(length=20), nullable=True),
        sa.Column("contact_note", sa.Text(), nullable=True),
        sa.Column("contact_defaulted", sa.Boolean(), nullable=False),
        sa.Column("contacted_by", sa.String(length=200), nullable=True),
        sa.Column("contacted_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "client_id", name="uq_gaji_umr_client_month_client"),
    )
    with op.batch_alter_table("gaji_umr_client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gaji_umr_client_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_gaji_umr_client_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gaji_umr_client_run_id"), ["run_id"], unique=False)

    _copy_audit_rows(op.get_bind())


def downgrade() -> None:
    op.drop_table("gaji_umr_client")
    op.drop_table("gaji_umr_month")


# --------------------------------------------------------------------------- data



_month = sa.table(
    "gaji_umr_month",
    *(sa.column(name, type_) for name, type_ in (
        ("month", sa.String()), ("dag_id", sa.String()), ("run_id", sa.String()), ("section", sa.String()),
        ("created_at", UtcDateTime(timezone=True)), ("kegiatan", sa.String()), ("tempat", sa.String()),
        ("tanggal", sa.Date()), ("jam", sa.String()), ("activity_note", sa.Text()), ("suggested", sa.Boolean()),
        ("activity_by", sa.String()), ("activity_at", UtcDateTime(timezone=True)), ("proposed", sa.JSON()),
        ("eligible", sa.Integer()), ("proposed_at", UtcDateTime(timezone=True)), ("selected", sa.JSON()),
        ("selection_note", sa.Text()), ("selected_by", sa.String()), ("selected_at", UtcDateTime(timezone=True)),
        ("participants_sent_at", UtcDateTime(timezone=True)), ("attended", sa.Integer()), ("invited", sa.Integer()),
        ("staff", sa.Integer()), ("reported_by", sa.String()), ("reported_at", UtcDateTime(timezone=True)),
    )),
)

_client = sa.table(
    "gaji_umr_client",
    *(sa.column(name, type_) for name, type_ in (
        ("month", sa.String()), ("client_id", sa.String()), ("dag_id", sa.String()), ("run_id", sa.String()),
        ("slot", sa.Integer()), ("status", sa.String()), ("contact_status", sa.String()),
        ("contact_note", sa.Text()), ("contact_defaulted", sa.Boolean()), ("contacted_by", sa.String()),
        ("contacted_at", UtcDateTime(timezone=True)), ("updated_at", UtcDateTime(timezone=True)),
    )),
)


def _events(bind: sa.Connection, actions: Sequence[str]) -> list[Any]:
    return list(bind.execute(
        sa.select(_audit).where(_audit.c.action.in_(list(actions))).order_by(_audit.c.id)
    ))


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None


def _copy_audit_rows(bind: sa.Connection) -> None:
    """One month row per run, one client row per client and month, as the flow now writes them.

    The first event of an action in a run stood (the flow skipped a second one); for a client,
    a participation record stands over the contact's answer, as the history page read them.
    """
    months: dict[str, dict[str, Any]] = {}
    for e in _events(bind, _MONTH_ACTIONS):
        parts = str(e.subject).split("/")
        if len(parts) < 2 or parts[0] != "gaji_umr" or parts[1] == "klien" or not e.run_id:
            continue
        row = months.setdefault(e.run_id, {"month": parts[1], "dag_id": e.dag_id, "run_id": e.run_id,
                                           "created_at": e.at})
        d = dict(e.detail or {})
        if e.action == "gaji_umr_activity" and row.get("activity_at") is None:
            row.update(kegiatan=d.get("kegiatan"), tempat=d.get("tempat"), tanggal=_day(d.get("tanggal")),
                       jam=d.get("jam"), activity_note=d.get("catatan"), suggested=d.get("source") == "saran",
                       activity_by=e.actor, activity_at=e.at)
        elif e.action == "gaji_umr_proposed" and row.get("proposed_at") is None:
            row.update(proposed=list(d.get("proposed") or []), eligible=_int(d.get("eligible")), proposed_at=e.at)
        elif e.action == "gaji_umr_selected" and row.get("selected_at") is None:
            row.update(selected=list(d.get("chosen") or []), selection_note=d.get("note"), selected_by=e.actor,
                       selected_at=e.at)
        elif e.action == "gaji_umr_participants" and row.get("participants_sent_at") is None:
            row.update(participants_sent_at=e.at)
        elif e.action == "gaji_umr_report" and row.get("reported_at") is None:
            row.update(attended=_int(d.get("attended")), invited=_int(d.get("invited")), staff=_int(d.get("staff")),
                       reported_by=e.actor, reported_at=e.at)

    clients: dict[tuple[str, str], dict[str, Any]] = {}
    for e in _events(bind, ("gaji_umr_contact",)):
        parts = str(e.subject).split("/")  # gaji_umr/<month>/klien/<client id>
        d = dict(e.detail or {})
        if len(parts) != 4 or d.get("status") not in _STATUSES:
            continue
        clients[(parts[1], parts[3])] = {
            "month": parts[1], "client_id": parts[3], "dag_id": e.dag_id, "run_id": e.run_id,
            "slot": _int(d.get("slot")), "status": d["status"], "contact_status": d["status"],
            "contact_note": d.get("note"), "contact_defaulted": bool(d.get("defaulted")), "contacted_by": e.actor,
            "contacted_at": e.at, "updated_at": e.at,
        }
    for e in _events(bind, ("gaji_umr_participation",)):
        d = dict(e.detail or {})
        client_id = str(e.subject).rsplit("/", 1)[-1]  # gaji_umr/klien/<client id>
        month = d.get("month")
        if not month or d.get("status") not in _STATUSES:
            continue
        row = clients.setdefault((month, client_id), {
            "month": month, "client_id": client_id, "dag_id": e.dag_id, "run_id": e.run_id, "slot": None,
            "contact_status": None, "contact_note": None, "contact_defaulted": False, "contacted_by": None,
            "contacted_at": None,
        })
        row.update(status=d["status"], updated_at=e.at)

    columns = [c.name for c in _month.columns]
    if months:
        bind.execute(_month.insert(), [{c: row.get(c) for c in columns} for row in months.values()])
    if clients:
        bind.execute(_client.insert(), list(clients.values()))
