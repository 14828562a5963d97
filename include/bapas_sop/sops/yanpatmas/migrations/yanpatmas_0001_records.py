"""Yanpatmas's complaints table.

Revision ID: yanpatmas_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision: str = "yanpatmas_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("yanpatmas",)
depends_on: str | Sequence[str] | None = "0001"


def upgrade() -> None:
    when = UtcDateTime(timezone=True)
    op.create_table(
        "yanpatmas_complaint",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket", sa.String(30), nullable=False, unique=True),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("run_id", sa.String(250), unique=True),
        sa.Column("submission_key", sa.String(100), unique=True),
        sa.Column("channel", sa.String(30), nullable=False),
        sa.Column("received_at", when, nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("entered_by", sa.String(100)),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("identity", sa.Text()),
        sa.Column("has_email", sa.Boolean(), nullable=False),
        sa.Column("has_phone", sa.Boolean(), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("reported", sa.String(300)),
        sa.Column("occurred", sa.String(300)),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.String(2000)),
        sa.Column("stage", sa.String(30), nullable=False, index=True),
        sa.Column("stage_at", when, nullable=False),
        sa.Column("completeness_due", when, nullable=False),
        sa.Column("first_answer_due", when, nullable=False),
        sa.Column("resolution_due", when),
        sa.Column("complete_at", when),
        sa.Column("checked_at", when),
        sa.Column("first_answer_at", when),
        sa.Column("missing", sa.Text()),
        sa.Column("supplement", sa.Text()),
        sa.Column("scope_reason", sa.Text()),
        sa.Column("referral", sa.Text()),
        sa.Column("summary", sa.Text()),
        sa.Column("category", sa.String(50), index=True),
        sa.Column("has_merit", sa.Boolean()),
        sa.Column("examination_needed", sa.Boolean()),
        sa.Column("reported_nip", sa.String(50)),
        sa.Column("examiner_nip", sa.String(50)),
        sa.Column("analysis_note", sa.Text()),
        sa.Column("examination", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(30)),
        sa.Column("report_pdf", sa.LargeBinary()),
        sa.Column("report_approved_at", when),
        sa.Column("result_sent_at", when),
        sa.Column("result_text", sa.Text()),
        sa.Column("sanction_level", sa.String(20)),
        sa.Column("sanction_ref", sa.String(200)),
        sa.Column("sanction_date", sa.String(10)),
        sa.Column("rehabilitation_pdf", sa.LargeBinary()),
        sa.Column("closed_at", when),
        sa.Column("rating", sa.Integer()),
        sa.Column("reminders", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("yanpatmas_complaint")
