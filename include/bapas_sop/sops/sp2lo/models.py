"""SP2LO's records: one row per Litmas case, from receipt to the SPPD settlement.

The table was created by the shared schema's first migration (``0001``), before SOPs had
packages of their own; its later changes belong to this package's migrations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base


class LitmasCase(Base):
    """One request for a Penelitian Kemasyarakatan (Litmas), from receipt to SPPD settlement."""

    __tablename__ = "litmas_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(50), unique=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    channel: Mapped[str] = mapped_column(String(30))  # intake form, letter typed by staff, admin trigger
    # The public intake form's submission key (one per page view): a repeated or concurrent post of
    # the same form finds its case by it instead of registering a second one (revision sp2lo_0001).
    submission_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    letter_number: Mapped[str] = mapped_column(String(200))
    letter_date: Mapped[str] = mapped_column(String(20))
    requester_agency: Mapped[str] = mapped_column(String(300))
    requester_name: Mapped[str | None] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(200))
    client_name: Mapped[str] = mapped_column(String(200))
    client_category: Mapped[str] = mapped_column(String(10))  # anak | dewasa
    litmas_type: Mapped[str] = mapped_column(String(50))
    received_at: Mapped[datetime]
    section: Mapped[str | None] = mapped_column(String(10))  # bka | bkd
    pk_nip: Mapped[str | None] = mapped_column(String(50), index=True)
    appointed_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    deadline_rule: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(30), default="registered", index=True)
    report_ref: Mapped[str | None] = mapped_column(String(200))
    completed_at: Mapped[datetime | None]
    revision_count: Mapped[int] = mapped_column(Integer, default=0)
    approved_at: Mapped[datetime | None]
    trip: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sppd_eligible_at: Mapped[datetime | None]
    sppd_disbursed_at: Mapped[datetime | None]
    accountability_due_at: Mapped[datetime | None]
    accountability_done_at: Mapped[datetime | None]
    # Fractions of the allowed time for which a reminder already went out, e.g. [0.5, 0.8].
    reminders_sent: Mapped[dict[str, Any]] = mapped_column(default=dict)
    overdue_escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
