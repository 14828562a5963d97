"""Pekan Disiplin's tables: the weeks, the attendance days with decisions, the thresholds sent

Revision ID: pekan_disiplin_0001
Revises:
Depends on: 0001
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision: str = "pekan_disiplin_0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ("pekan_disiplin",)
depends_on: Union[str, Sequence[str], None] = "0001"


def upgrade() -> None:
    op.create_table(
        "pekan_disiplin_week",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("loaded_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("bad_rows", sa.Integer(), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("incidents", sa.Integer(), nullable=True),
        sa.Column("apel_recorded_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("forms_sent", sa.Integer(), nullable=True),
        sa.Column("crossings", sa.Integer(), nullable=True),
        sa.Column("recap_sent_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
    )
    op.create_index("ix_pekan_disiplin_week_week", "pekan_disiplin_week", ["week"])
    op.create_table(
        "pekan_disiplin_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=True),
        sa.Column("masuk", sa.Integer(), nullable=True),
        sa.Column("pulang", sa.Integer(), nullable=True),
        sa.Column("terlambat_menit", sa.Integer(), nullable=False),
        sa.Column("pulang_cepat_menit", sa.Integer(), nullable=False),
        sa.Column("tidak_masuk", sa.Boolean(), nullable=False),
        sa.Column("scan_tidak_lengkap", sa.Boolean(), nullable=False),
        sa.Column("jenis_ketidakhadiran", sa.String(length=20), nullable=True),
        sa.Column("tidak_apel", sa.Boolean(), nullable=False),
        sa.Column("tidak_berseragam", sa.Boolean(), nullable=False),
        sa.Column("insiden", sa.Boolean(), nullable=False),
        sa.Column("supervisor_nip", sa.String(length=18), nullable=True),
        sa.Column("keputusan", sa.String(length=20), nullable=True),
        sa.Column("bukti", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nip", "day", name="uq_pekan_disiplin_day_nip_day"),
    )
    op.create_index("ix_pekan_disiplin_day_week", "pekan_disiplin_day", ["week"])
    op.create_index("ix_pekan_disiplin_day_nip", "pekan_disiplin_day", ["nip"])
    op.create_index("ix_pekan_disiplin_day_day", "pekan_disiplin_day", ["day"])
    op.create_index("ix_pekan_disiplin_day_insiden", "pekan_disiplin_day", ["insiden"])
    op.create_table(
        "pekan_disiplin_crossing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.String(length=40), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("supervisor_nip", sa.String(length=18), nullable=True),
        sa.Column("recorded_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nip", "year", "threshold", name="uq_pekan_disiplin_crossing"),
    )
    op.create_index("ix_pekan_disiplin_crossing_nip", "pekan_disiplin_crossing", ["nip"])


def downgrade() -> None:
    op.drop_index("ix_pekan_disiplin_crossing_nip", table_name="pekan_disiplin_crossing")
    op.drop_table("pekan_disiplin_crossing")
    for name in ("insiden", "day", "nip", "week"):
        op.drop_index(f"ix_pekan_disiplin_day_{name}", table_name="pekan_disiplin_day")
    op.drop_table("pekan_disiplin_day")
    op.drop_index("ix_pekan_disiplin_week_week", table_name="pekan_disiplin_week")
    op.drop_table("pekan_disiplin_week")
