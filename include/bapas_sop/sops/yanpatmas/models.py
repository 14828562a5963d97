"""Yanpatmas records: one row per complaint, from receipt to the sanction or rehabilitation.

The complainant's identity is one encrypted column (:mod:`.secrecy`): name, email and phone
are never stored in clear, and the tracking code only as a keyed hash. The contents (what,
whom, when and where, the description) are readable by the office's own pages, which show
them to ULP and the Kepala Bapas only; nothing of a complaint but its ticket goes to Airflow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base, utcnow


class Complaint(Base):
    __tablename__ = "yanpatmas_complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(30), unique=True)  # YP-2026-0001
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250), unique=True)
    # One view of the public page: a repeated post finds its complaint (no second ticket).
    submission_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    channel: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_by: Mapped[str | None] = mapped_column(String(100))  # ULP staff who typed it in

    # Who complained: encrypted; only whether an email/phone exists is in clear (for the flow).
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    identity: Mapped[str | None] = mapped_column(Text)
    has_email: Mapped[bool] = mapped_column(Boolean, default=False)
    has_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    code_digest: Mapped[str] = mapped_column(String(64))

    # What it is about (free text, as the complainant wrote it).
    subject: Mapped[str] = mapped_column(String(300))
    reported: Mapped[str | None] = mapped_column(String(300))
    occurred: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(2000))

    stage: Mapped[str] = mapped_column(String(30), index=True)
    stage_at: Mapped[datetime] = mapped_column(default=utcnow)

    completeness_due: Mapped[datetime]
    first_answer_due: Mapped[datetime]
    resolution_due: Mapped[datetime | None]
    complete_at: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    first_answer_at: Mapped[datetime | None]

    # Step 2: completeness, what is missing, the supplement; or why it is out of scope.
    missing: Mapped[str | None] = mapped_column(Text)
    supplement: Mapped[str | None] = mapped_column(Text)
    scope_reason: Mapped[str | None] = mapped_column(Text)
    referral: Mapped[str | None] = mapped_column(Text)
    # Step 3: ULP's summary for the Kepala Bapas.
    summary: Mapped[str | None] = mapped_column(Text)
    # Step 4: the analysis.
    category: Mapped[str | None] = mapped_column(String(50), index=True)
    has_merit: Mapped[bool | None] = mapped_column(Boolean)
    examination_needed: Mapped[bool | None] = mapped_column(Boolean)
    reported_nip: Mapped[str | None] = mapped_column(String(50))
    examiner_nip: Mapped[str | None] = mapped_column(String(50))
    analysis_note: Mapped[str | None] = mapped_column(Text)
    # Step 5-6: the examination and its report.
    examination: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[str | None] = mapped_column(String(30))  # terbukti | tidak_terbukti
    report_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    report_approved_at: Mapped[datetime | None]
    # Step 7-8.
    result_sent_at: Mapped[datetime | None]
    result_text: Mapped[str | None] = mapped_column(Text)
    sanction_level: Mapped[str | None] = mapped_column(String(20))
    sanction_ref: Mapped[str | None] = mapped_column(String(200))
    sanction_date: Mapped[str | None] = mapped_column(String(10))
    rehabilitation_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    closed_at: Mapped[datetime | None]
    # The complainant's rating of the handling (1-5), from the status page once closed.
    rating: Mapped[int | None] = mapped_column(Integer)
    # The monitor's stamps: reminders sent per deadline, escalations per deadline.
    reminders: Mapped[dict[str, Any]] = mapped_column(default=dict)
