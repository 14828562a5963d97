"""Human steps wait in Airflow's ``awaiting_input``: the waiting task on each request, and the
wake-ups still to deliver (``step_wake``).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_task_id", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("waiting_map_index", sa.Integer(), nullable=True))
        batch_op.create_index("ix_form_request_status_expires", ["status", "expires_at"], unique=False)
    op.create_table(
        "step_wake",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["form_request.id"]),
        sa.PrimaryKeyConstraint("request_id"),
    )


def downgrade() -> None:
    op.drop_table("step_wake")
    with op.batch_alter_table("form_request", schema=None) as batch_op:
        batch_op.drop_index("ix_form_request_status_expires")
        batch_op.drop_column("waiting_map_index")
        batch_op.drop_column("waiting_task_id")
