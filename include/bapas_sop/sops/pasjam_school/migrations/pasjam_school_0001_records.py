"""Pasjam School's tables: visits, observations, risk rankings, coordination, quiz answers.

Written with plain Alembic operations rather than the ORM models, so that it keeps working
whatever the models become later.

Revision ID: pasjam_school_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision: str = "pasjam_school_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("pasjam_school",)
depends_on: str | Sequence[str] | None = "0001"


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pasjam_school_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=10), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        _when("created_at", nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=True),
        _when("ranked_at"),
        sa.Column("picked_npsn", sa.String(length=20), nullable=True),
        sa.Column("pick_note", sa.Text(), nullable=True),
        sa.Column("picked_by", sa.String(length=200), nullable=True),
        _when("picked_at"),
        sa.Column("npsn", sa.String(length=20), nullable=True),
        _when("coordinated_at"),
        sa.Column("tanggal", sa.Date(), nullable=True),
        sa.Column("jam", sa.String(length=5), nullable=True),
        sa.Column("students_planned", sa.Integer(), nullable=True),
        sa.Column("letter_number", sa.String(length=200), nullable=True),
        _when("letter_sent_at"),
        sa.Column("quiz_code", sa.String(length=40), nullable=True),
        _when("held_at"),
        sa.Column("team", sa.JSON(), nullable=True),
        sa.Column("students_present", sa.Integer(), nullable=True),
        sa.Column("held_note", sa.Text(), nullable=True),
        sa.Column("held_by", sa.String(length=200), nullable=True),
        sa.Column("feedback", sa.JSON(), nullable=True),
        _when("feedback_at"),
        sa.Column("evaluation", sa.JSON(), nullable=True),
        _when("evaluated_at"),
        _when("reported_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
        sa.UniqueConstraint("quiz_code"),
    )
    with op.batch_alter_table("pasjam_school_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pasjam_school_visit_term"), ["term"], unique=False)
        batch_op.create_index(batch_op.f("ix_pasjam_school_visit_npsn"), ["npsn"], unique=False)

    op.create_table(
        "pasjam_school_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("npsn", sa.String(length=20), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=True),
        sa.Column("incidents", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("observer", sa.String(length=200), nullable=True),
        sa.Column("defaulted", sa.Boolean(), nullable=False),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "npsn", name="uq_pasjam_school_observation_run_npsn"),
    )
    with op.batch_alter_table("pasjam_school_observation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pasjam_school_observation_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pasjam_school_observation_npsn"), ["npsn"], unique=False)

    op.create_table(
        "pasjam_school_ranking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("npsn", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("contributions", sa.JSON(), nullable=False),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "npsn", name="uq_pasjam_school_ranking_run_npsn"),
    )
    with op.batch_alter_table("pasjam_school_ranking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pasjam_school_ranking_run_id"), ["run_id"], unique=False)

    op.create_table(
        "pasjam_school_coordination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("npsn", sa.String(length=20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("preferred_dates", sa.JSON(), nullable=True),
        sa.Column("jam", sa.String(length=5), nullable=True),
        sa.Column("students", sa.Integer(), nullable=True),
        sa.Column("contact_person", sa.String(length=200), nullable=True),
        sa.Column("contact_phone", sa.String(length=50), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _when("answered_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "npsn", name="uq_pasjam_school_coordination_run_npsn"),
    )
    with op.batch_alter_table("pasjam_school_coordination", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pasjam_school_coordination_run_id"), ["run_id"], unique=False)

    op.create_table(
        "pasjam_school_quiz_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quiz_code", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("submission_key", sa.String(length=100), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_key"),
    )
    with op.batch_alter_table("pasjam_school_quiz_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pasjam_school_quiz_answer_quiz_code"), ["quiz_code"], unique=False)


def downgrade() -> None:
    for table in ("pasjam_school_quiz_answer", "pasjam_school_coordination", "pasjam_school_ranking",
                  "pasjam_school_observation", "pasjam_school_visit"):
        op.drop_table(table)
