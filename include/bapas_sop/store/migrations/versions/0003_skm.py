"""The public satisfaction survey (SKM, PermenPANRB 14/2017): invitations and anonymous answers.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "skm_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("skm_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skm_invitation_service"), ["service"], unique=False)
    op.create_table(
        "skm_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=50), nullable=False),
        sa.Column("answered_on", sa.String(length=10), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("skm_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skm_response_service"), ["service"], unique=False)
        batch_op.create_index(batch_op.f("ix_skm_response_answered_on"), ["answered_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("skm_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skm_response_answered_on"))
        batch_op.drop_index(batch_op.f("ix_skm_response_service"))
    op.drop_table("skm_response")
    with op.batch_alter_table("skm_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skm_invitation_service"))
    op.drop_table("skm_invitation")
