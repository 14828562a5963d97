"""Piket Hari Libur's tables: the month's roster, each duty, every hand-over, the day's log.

A new SOP: nothing to copy from the audit trail.

Revision ID: piket_hari_libur_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision: str = "piket_hari_libur_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("piket_hari_libur",)
depends_on: str | Sequence[str] | None = "0001"


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "piket_hari_libur_roster",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _at("created_at", nullable=False),
        sa.Column("drafted", sa.JSON(), nullable=True),
        sa.Column("notes", sa.JSON(), nullable=True),
        sa.Column("swaps", sa.JSON(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("rounds", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        _at("approved_at"),
        _at("notified_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
    )
    with op.batch_alter_table("piket_hari_libur_roster") as batch_op:
        batch_op.create_index(batch_op.f("ix_piket_hari_libur_roster_month"), ["month"], unique=False)

    op.create_table(
        "piket_hari_libur_duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roster_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("nip", sa.String(length=30), nullable=True),
        sa.Column("scheduled_nip", sa.String(length=30), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        _at("reminded_at"),
        _at("checked_in_at"),
        _at("escalated_at"),
        _at("reported_at"),
        sa.ForeignKeyConstraint(["roster_id"], ["piket_hari_libur_roster.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("roster_id", "day", "slot", name="uq_piket_hari_libur_duty_place"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("piket_hari_libur_duty") as batch_op:
        for column in ("roster_id", "month", "day", "nip"):
            batch_op.create_index(batch_op.f(f"ix_piket_hari_libur_duty_{column}"), [column], unique=False)

    op.create_table(
        "piket_hari_libur_handover",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("from_nip", sa.String(length=30), nullable=False),
        sa.Column("to_nip", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("request_key", sa.String(length=300), nullable=True),
        _at("at", nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["piket_hari_libur_duty.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_key"),
    )
    with op.batch_alter_table("piket_hari_libur_handover") as batch_op:
        batch_op.create_index(batch_op.f("ix_piket_hari_libur_handover_duty_id"), ["duty_id"], unique=False)

    op.create_table(
        "piket_hari_libur_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entry_key", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("case_number", sa.String(length=30), nullable=True),
        sa.Column("logged_by", sa.String(length=30), nullable=False),
        _at("at", nullable=False),
        sa.ForeignKeyConstraint(["duty_id"], ["piket_hari_libur_duty.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_key"),
    )
    with op.batch_alter_table("piket_hari_libur_log") as batch_op:
        batch_op.create_index(batch_op.f("ix_piket_hari_libur_log_duty_id"), ["duty_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_piket_hari_libur_log_day"), ["day"], unique=False)


def downgrade() -> None:
    op.drop_table("piket_hari_libur_log")
    op.drop_table("piket_hari_libur_handover")
    op.drop_table("piket_hari_libur_duty")
    op.drop_table("piket_hari_libur_roster")
