"""Tamu Ngopi's tables: forums, proposed topics, participants and their RSVPs, action items.

Revision ID: tamu_ngopi_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.models import UtcDateTime

revision: str = "tamu_ngopi_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("tamu_ngopi",)
depends_on: str | Sequence[str] | None = "0001"


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def _meeting_fk() -> sa.Column:
    return sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("tamu_ngopi_meeting.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "tamu_ngopi_meeting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("dag_id", sa.String(250)),
        sa.Column("run_id", sa.String(250), nullable=False, unique=True),
        _when("created_at", nullable=False),
        _when("starts_at"),
        sa.Column("place", sa.String(300)),
        sa.Column("host_nip", sa.String(30)),
        sa.Column("host_name", sa.String(200)),
        sa.Column("agenda", sa.JSON()),
        sa.Column("carried_items", sa.JSON()),
        sa.Column("approval_note", sa.Text()),
        sa.Column("approved_by", sa.String(200)),
        _when("approved_at"),
        _when("invited_at"),
        sa.Column("minutes", sa.Text()),
        sa.Column("suggestions", sa.JSON()),
        sa.Column("documentation", sa.String(500)),
        sa.Column("attended", sa.Integer()),
        sa.Column("minutes_by", sa.String(200)),
        _when("minutes_at"),
        sa.Column("decided_by", sa.String(200)),
        _when("decided_at"),
        _when("reported_at"),
    )
    op.create_table(
        "tamu_ngopi_topic",
        sa.Column("id", sa.Integer(), primary_key=True),
        _meeting_fk(),
        sa.Column("person_key", sa.String(320), nullable=False),
        sa.Column("proposer_name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("on_agenda", sa.Boolean(), nullable=False),
        _when("created_at", nullable=False),
        sa.UniqueConstraint("meeting_id", "person_key", name="uq_tamu_ngopi_topic_person"),
    )
    op.create_index("ix_tamu_ngopi_topic_meeting_id", "tamu_ngopi_topic", ["meeting_id"])
    op.create_table(
        "tamu_ngopi_participant",
        sa.Column("id", sa.Integer(), primary_key=True),
        _meeting_fk(),
        sa.Column("person_key", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("organisation", sa.String(300)),
        sa.Column("rsvp", sa.String(20)),
        sa.Column("representative", sa.String(200)),
        sa.Column("rsvp_note", sa.Text()),
        _when("rsvp_at"),
        sa.Column("attended", sa.Boolean()),
        sa.UniqueConstraint("meeting_id", "person_key", name="uq_tamu_ngopi_participant_person"),
    )
    op.create_index("ix_tamu_ngopi_participant_meeting_id", "tamu_ngopi_participant", ["meeting_id"])
    op.create_table(
        "tamu_ngopi_action_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        _meeting_fk(),
        sa.Column("month", sa.String(7), nullable=False, index=True),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("owner_nip", sa.String(30), nullable=False),
        sa.Column("owner_name", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("progress_note", sa.Text()),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("last_report_key", sa.String(500)),
        sa.Column("done_note", sa.Text()),
        _when("done_at"),
        sa.Column("carried_to", sa.JSON()),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.UniqueConstraint("meeting_id", "slot", name="uq_tamu_ngopi_action_item_slot"),
    )
    op.create_index("ix_tamu_ngopi_action_item_meeting_id", "tamu_ngopi_action_item", ["meeting_id"])


def downgrade() -> None:
    op.drop_table("tamu_ngopi_action_item")
    op.drop_table("tamu_ngopi_participant")
    op.drop_table("tamu_ngopi_topic")
    op.drop_table("tamu_ngopi_meeting")
