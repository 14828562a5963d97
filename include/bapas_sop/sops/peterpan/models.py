"""Peterpan's own records: one row per survey (a quarter's run), filled in step by step.

The audit trail stays the log of who did what; this table is what the flow's idempotence, a
second survey's refusal and the history page read, so none of them depends on action strings.
A repeated survey (``ulangi``) is a second row of the same quarter; the row with the latest
winner is that quarter's result.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base, utcnow


class PeterpanSurvey(Base):
    """One survey run: its voters and candidates, the tally, the winner, the certificate and the rewards."""

    __tablename__ = "peterpan_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(10), index=True)  # "2026-Q3"
    dag_id: Mapped[str | None] = mapped_column(String(250))
    # One row per run: a retried task finds its row instead of recording the step again.
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime | None]
    forms_backend: Mapped[str | None] = mapped_column(String(20))  # "bawaan" or "google"
    google_form: Mapped[dict[str, Any] | None]
    candidates: Mapped[list[str]] = mapped_column(JSON, default=list)  # NIPs
    voters: Mapped[list[str]] = mapped_column(JSON, default=list)  # NIPs

    # The tally (empty until the votes are counted).
    tally_status: Mapped[str | None] = mapped_column(String(20))  # "winner", "tie", "no_votes"
    voter_count: Mapped[int | None]
    voted: Mapped[int | None]
    participation: Mapped[float | None] = mapped_column(Float)
    total_votes: Mapped[int | None]
    # Votes per candidate, most first: [{"nip", "name", "votes"}] (name None in rows moved from the audit trail).
    tally: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    top: Mapped[list[str] | None] = mapped_column(JSON)
    rejected: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    tallied_at: Mapped[datetime | None]

    # The winner: by the votes ("suara") or by the Kabapas on a tie ("kabapas").
    winner_nip: Mapped[str | None] = mapped_column(String(50))
    winner_name: Mapped[str | None] = mapped_column(String(200))
    winner_votes: Mapped[int | None]
    winner_decided_by: Mapped[str | None] = mapped_column(String(20))
    winner_note: Mapped[str | None] = mapped_column(Text)
    winner_actor: Mapped[str | None] = mapped_column(String(200))
    winner_decided_at: Mapped[datetime | None] = mapped_column(index=True)

    # The certificate: "draft" (sent to the Kabapas), then "issued" or "refused".
    certificate_status: Mapped[str | None] = mapped_column(String(20))
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    certificate_citation: Mapped[str | None] = mapped_column(Text)
    certificate_note: Mapped[str | None] = mapped_column(Text)  # the Kabapas's note on a refusal
    certificate_actor: Mapped[str | None] = mapped_column(String(200))
    certificate_decided_at: Mapped[datetime | None]

    # The rewards and the quarter's closing.
    photo_url: Mapped[str | None] = mapped_column(Text)
    gift: Mapped[str | None] = mapped_column(Text)
    handed_over_on: Mapped[date | None]
    announced_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


__all__ = ["PeterpanSurvey"]
