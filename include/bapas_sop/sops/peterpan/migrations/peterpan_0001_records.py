"""Peterpan's records in a table of its own, filled from the audit trail.

Until this revision Peterpan kept its records as audit rows with subject ``peterpan/<quarter>``
(``peterpan_survey_created``, ``peterpan_tally``, ``peterpan_winner``,
``peterpan_certificate_issued``/``_refused``, ``peterpan_closed``). This creates
``peterpan_survey`` and writes one row per run from those rows; the audit rows stay (the trail
is a log). The data part uses ``sa.table`` and plain Python, not the ORM model, so that later
changes to the model cannot break it.

Revision ID: peterpan_0001
Revises:
Depends on: 0001
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

from bapas_sop.store.legacy import audit_event, audit_rows
from bapas_sop.store.models import UtcDateTime

revision = "peterpan_0001"
down_revision = None
branch_labels = ("peterpan",)
depends_on = "0001"

ACTIONS = (
    "peterpan_survey_created", "peterpan_tally", "peterpan_winner", "peterpan_certificate_issued",
    "peterpan_certificate_refused", "peterpan_closed",
)
GOOGLE_FORM_CREATED = "google_form_created"


def upgrade() -> None:
    op.create_table(
        "peterpan_survey",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=10), nullable=False),
        sa.Column("dag_id", sa.String(length=250), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("forms_backend", sa.String(length=20), nullable=True),
        sa.Column("google_form", sa.JSON(), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("voters", sa.JSON(), nullable=False),
        sa.Column("tally_status", sa.String(length=20), nullable=True),
        sa.Column("voter_count", sa.Integer(), nullable=True),
        sa.Column("voted", sa.Integer(), nullable=True),
        sa.Column("participation", sa.Float(), nullable=True),
        sa.Column("total_votes", sa.Integer(), nullable=True),
        sa.Column("tally", sa.JSON(), nullable=True),
        sa.Column("top", sa.JSON(), nullable=True),
        sa.Column("rejected", sa.JSON(), nullable=True),
        sa.Column("tallied_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("winner_nip", sa.String(length=50), nullable=True),
        sa.Column("winner_name", sa.String(length=200), nullable=True),
        sa.Column("winner_votes", sa.Integer(), nullable=True),
        sa.Column("winner_decided_by", sa.String(length=20), nullable=True),
        sa.Column("winner_note", sa.Text(), nullable=True),
        sa.Column("winner_actor", sa.String(length=200), nullable=True),
        sa.Column("winner_decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("certificate_status", sa.String(length=20), nullable=True),
        sa.Column("certificate_number", sa.String(length=100), nullable=True),
        sa.Column("certificate_citation", sa.Text(), nullable=True),
        sa.Column("certificate_note", sa.Text(), nullable=True),
        sa.Column("certificate_actor", sa.String(length=200), nullable=True),
        sa.Column("certificate_decided_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("photo_url", sa.Text(), nullable=True),
        sa.Column("gift", sa.Text(), nullable=True),
        sa.Column("handed_over_on", sa.Date(), nullable=True),
        sa.Column("announced_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id"),
    )
    with op.batch_alter_table("peterpan_survey", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_peterpan_survey_quarter"), ["quarter"], unique=False)
        batch_op.create_index(batch_op.f("ix_peterpan_survey_winner_decided_at"), ["winner_decided_at"], unique=False)
    _move_audit_rows()


def downgrade() -> None:
    with op.batch_alter_table("peterpan_survey", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peterpan_survey_winner_decided_at"))
        batch_op.drop_index(batch_op.f("ix_peterpan_survey_quarter"))
    op.drop_table("peterpan_survey")


# --------------------------------------------------------------------------- data


peterpan_survey = sa.table(
    "peterpan_survey",
    *(sa.column(name, type_) for name, type_ in {
        "quarter": sa.String(), "dag_id": sa.String(), "run_id": sa.String(),
        "created_at": UtcDateTime(timezone=True), "closes_at": UtcDateTime(timezone=True),
        "forms_backend": sa.String(), "google_form": sa.JSON(), "candidates": sa.JSON(), "voters": sa.JSON(),
        "tally_status": sa.String(), "voter_count": sa.Integer(), "voted": sa.Integer(),
        "participation": sa.Float(), "total_votes": sa.Integer(), "tally": sa.JSON(), "top": sa.JSON(),
        "rejected": sa.JSON(), "tallied_at": UtcDateTime(timezone=True),
        "winner_nip": sa.String(), "winner_name": sa.String(), "winner_votes": sa.Integer(),
        "winner_decided_by": sa.String(), "winner_note": sa.Text(), "winner_actor": sa.String(),
        "winner_decided_at": UtcDateTime(timezone=True),
        "certificate_status": sa.String(), "certificate_number": sa.String(), "certificate_citation": sa.Text(),
        "certificate_note": sa.Text(), "certificate_actor": sa.String(),
        "certificate_decided_at": UtcDateTime(timezone=True),
        "photo_url": sa.Text(), "gift": sa.Text(), "handed_over_on": sa.Date(),
        "announced_at": UtcDateTime(timezone=True), "closed_at": UtcDateTime(timezone=True),
    }.items()),
)


def _move_audit_rows() -> None:
    """One row per run from its Peterpan audit rows (the first of each action, as the flow read them)."""
    bind = op.get_bind()
    events = audit_rows(bind, ACTIONS)
    runs: dict[str, dict[str, Any]] = {}
    for e in events:
        quarter = str(e["subject"]).split("/", 1)[1] if "/" in str(e["subject"]) else str(e["subject"])
        run_id = e["run_id"] or f"audit/{e['subject']}"  # every flow row had one; never lose a row without
        run = runs.setdefault(run_id, {"quarter": quarter, "dag_id": e["dag_id"], "events": {}, "order": []})
        run["order"].append(e)
        run["events"].setdefault(e["action"], e)
    if not runs:
        return
    forms = {
        r["run_id"]: r["detail"] for r in bind.execute(
            sa.select(audit_event.c.run_id, audit_event.c.detail)
            .where(audit_event.c.action == GOOGLE_FORM_CREATED, audit_event.c.subject.like("peterpan/%"))
            .order_by(audit_event.c.id)
        ).mappings()
    }
    rows = [_row(run_id, run, forms.get(run_id)) for run_id, run in runs.items()]
    op.bulk_insert(peterpan_survey, rows)


def _row(run_id: str, run: dict[str, Any], google: dict[str, Any] | None) -> dict[str, Any]:
    found = run["events"]
    created = found.get("peterpan_survey_created")
    detail = dict(created["detail"]) if created is not None else {}
    row: dict[str, Any] = dict.fromkeys(c.name for c in peterpan_survey.columns)  # one shape for executemany
    row.update({
        "quarter": detail.get("quarter") or run["quarter"],
        "dag_id": run["dag_id"],
        "run_id": run_id,
        "created_at": created["at"] if created is not None else run["order"][0]["at"],
        "closes_at": _datetime(detail.get("closes_at")),
        "forms_backend": "google" if google else ("bawaan" if created is not None else None),
        "google_form": {"form": google["form"]} if google and google.get("form") else None,
        "candidates": list(detail.get("candidates") or []),
        "voters": list(detail.get("voters") or []),
    })
    tally = found.get("peterpan_tally")
    if tally is not None:
        d = tally["detail"]
        counts = [{"nip": c.get("nip"), "name": None, "votes": c.get("votes")} for c in d.get("counts") or []]
        row.update(
            tally_status=d.get("status"), voter_count=d.get("voters"), voted=d.get("voted"),
            participation=d.get("participation"), total_votes=sum(int(c["votes"] or 0) for c in counts),
            tally=counts, top=d.get("top"), rejected=d.get("rejected"), tallied_at=tally["at"],
        )
    winner = found.get("peterpan_winner")
    if winner is not None:
        d = winner["detail"]
        row.update(
            winner_nip=d.get("nip"), winner_name=d.get("name"), winner_votes=d.get("votes"),
            winner_decided_by=d.get("decided_by"), winner_note=d.get("note"), winner_actor=winner["actor"],
            winner_decided_at=winner["at"],
        )
    # Issued and refused are exclusive within a run; should both be recorded, the later stands.
    decisions = [e for e in run["order"] if e["action"] in ("peterpan_certificate_issued", "peterpan_certificate_refused")]
    firsts = {e["action"]: e for e in reversed(decisions)}  # the first of each action, as the flow kept them
    if firsts:
        decided = max(firsts.values(), key=lambda e: e["id"])
        d = decided["detail"]
        issued = decided["action"] == "peterpan_certificate_issued"
        row.update(
            certificate_status="issued" if issued else "refused",
            certificate_number=d.get("number") if issued else None,
            certificate_citation=d.get("citation") if issued else None,
            certificate_note=None if issued else d.get("note"),
            certificate_actor=decided["actor"], certificate_decided_at=decided["at"],
        )
    closed = found.get("peterpan_closed")
    if closed is not None:
        d = closed["detail"]
        row.update(photo_url=d.get("photo_url"), gift=d.get("gift"), handed_over_on=_date(d.get("handed_over_on")),
                   closed_at=closed["at"])
    return row


def _datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
