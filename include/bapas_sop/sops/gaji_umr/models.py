"""Gaji UMR's records: one row per month's run, one row per client asked in a month.

These are the records the flow decides from (a step done once per run, the rotation's
participation history) and the history page shows; the audit trail stays a log of who did
what and is read by neither. Client names and telephone numbers stay in the register (and
in the contact's form request); these rows hold client ids.
"""

from __future__ import annotations

from datetime import date, datetime
from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base, utcnow


class GajiUmrMonth(Base):
    """One run of the monthly activity: what, where and when, who was proposed, chosen, reported.

    A column left empty means the step has not happened in this run yet, which is what makes
    each step safe to run twice (``run_id`` is unique).
    """

    __tablename__ = "gaji_umr_month"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # 2026-11
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    section: Mapped[str | None] = mapped_column(String(10))  # bka | bkd
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The activity (Kabapas's choice, or the system's suggestion when unanswered).
    kegiatan: Mapped[str | None] = mapped_column(String(300))
    tempat: Mapped[str | None] = mapped_column(String(300))
    tanggal: Mapped[date | None]
    jam: Mapped[str | None] = mapped_column(String(5))
    activity_note: Mapped[str | None] = mapped_column(Text)
    suggested: Mapped[bool | None] = mapped_column(Boolean)
    activity_by: Mapped[str | None] = mapped_column(String(200))
    activity_at: Mapped[datetime | None]

    # The rotation's proposal and the Kasubsi's list.
    proposed: Mapped[list[str] | None] = mapped_column(JSON)
    eligible: Mapped[int | None] = mapped_column(Integer)
    proposed_at: Mapped[datetime | None]
    selected: Mapped[list[str] | None] = mapped_column(JSON)
    selection_note: Mapped[str | None] = mapped_column(Text)
    selected_by: Mapped[str | None] = mapped_column(String(200))
    selected_at: Mapped[datetime | None]

    # The participants' list sent to the Kasubsi before the day.
    participants_sent_at: Mapped[datetime | None]

    # The report after the day.
    attended: Mapped[int | None] = mapped_column(Integer)
    invited: Mapped[int | None] = mapped_column(Integer)
    staff: Mapped[int | None] = mapped_column(Integer)
    reported_by: Mapped[str | None] = mapped_column(String(200))
    reported_at: Mapped[datetime | None]

    @property
    def swapped_in(self) -> list[str]:
        return [c for c in self.selected or [] if c not in (self.proposed or [])]

    @property
    def swapped_out(self) -> list[str]:
        return [c for c in self.proposed or [] if c not in (self.selected or [])]


class GajiUmrClient(Base):
    """One client in one month: what the PK's call gave, then whether the client came.

    ``status`` is where the client stands: ``dikonfirmasi`` (agreed, the day still to come),
    ``hadir`` / ``tidak_hadir`` (after the report), ``menolak`` / ``tidak_terhubung`` (at the
    call). ``contact_status`` keeps the call's own answer.
    """

    __tablename__ = "gaji_umr_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    client_id: Mapped[str] = mapped_column(String(50), index=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str | None] = mapped_column(String(250), index=True)
    slot: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    contact_status: Mapped[str | None] = mapped_column(String(20))
    contact_note: Mapped[str | None] = mapped_column(Text)
    contact_defaulted: Mapped[bool] = mapped_column(Boolean, default=False)
    contacted_by: Mapped[str | None] = mapped_column(String(200))
    contacted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("month", "client_id", name="uq_gaji_umr_client_month_client"),)


__all__ = ["GajiUmrClient", "GajiUmrMonth"]
