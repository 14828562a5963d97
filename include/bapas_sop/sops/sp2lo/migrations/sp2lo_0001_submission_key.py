"""The public intake's submission key on ``litmas_case``, unique.

Two identical posts of the intake form (a double click, a resent page, a retry over a slow
line) registered two cases, each with its own statutory clock and receipt. The form now carries
a key per page view; the case stores it, and the unique constraint makes a second post of the
same submission find the first case instead of creating another. Existing cases have none
(NULL, which a unique constraint allows any number of times).

Revision ID: sp2lo_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "sp2lo_0001"
down_revision = None
branch_labels = ("sp2lo",)
depends_on = "0001"


def upgrade() -> None:
    with op.batch_alter_table("litmas_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint("uq_litmas_case_submission_key", ["submission_key"])


def downgrade() -> None:
    with op.batch_alter_table("litmas_case", schema=None) as batch_op:
        batch_op.drop_constraint("uq_litmas_case_submission_key", type_="unique")
        batch_op.drop_column("submission_key")
