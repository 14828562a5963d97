"""The requests of SOPs declared in one YAML file (bapas_sop.declared).

Revision ID: declared_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision: str = "declared_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("declared",)
depends_on: str | Sequence[str] | None = "0001"


def upgrade() -> None:
    when = UtcDateTime(timezone=True)
    op.create_table(
        "declared_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sop_id", sa.String(50), nullable=False, index=True),
        sa.Column("number", sa.String(40), nullable=False, unique=True),
        sa.Column("submission_key", sa.String(100), unique=True),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("run_id", sa.String(250), unique=True),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("requester_email", sa.String(320), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(100)),
        sa.Column("received_at", when, nullable=False),
        sa.Column("closed_at", when),
    )


def downgrade() -> None:
    op.drop_table("declared_request")
