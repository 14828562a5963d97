"""Piket Hari Libur's records: the month's roster, each duty, every hand-over, the day's log.

Names stay in the staff directory (these rows hold NIPs); what the duty officer logs about
clients (names of clients who reported, of releases received) stays here, in the project's
database, and never reaches Airflow.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base, utcnow


class PiketRoster(Base):
    """One month's roster: drafted, reviewed by Staf TU, approved by the Kabapas (``run_id`` unique)."""

    __tablename__ = "piket_hari_libur_roster"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # 2026-12
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="draf")  # draf | disetujui | diganti (by a later approval)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    drafted: Mapped[list | None] = mapped_column(JSON)  # [[day, role, nip], ...] as the rotation gave it
    notes: Mapped[list | None] = mapped_column(JSON)
    swaps: Mapped[list | None] = mapped_column(JSON)  # [[day, out, in], ...] Staf TU's, as made
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    rounds: Mapped[int | None] = mapped_column(Integer)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]


class PiketDuty(Base):
    """One officer's duty on one non-working day; ``nip`` is who serves now (after hand-overs).

    ``token`` is the officer's personal link of the day (opaque, random): the duty page.
    """

    __tablename__ = "piket_hari_libur_duty"

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(ForeignKey("piket_hari_libur_roster.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    day: Mapped[date] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(String(200))  # Sabtu, Hari Raya Natal, ...
    role: Mapped[str] = mapped_column(String(30))
    slot: Mapped[int] = mapped_column(Integer)
    nip: Mapped[str | None] = mapped_column(String(30), index=True)
    scheduled_nip: Mapped[str | None] = mapped_column(String(30))  # as approved, before any hand-over
    token: Mapped[str] = mapped_column(String(64), unique=True)
    reminded_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("roster_id", "day", "slot", name="uq_piket_hari_libur_duty_place"),)


class PiketHandover(Base):
    """Substitusi pelaksana: a duty passed from one officer to another, and who decided it."""

    __tablename__ = "piket_hari_libur_handover"

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("piket_hari_libur_duty.id"), index=True)
    from_nip: Mapped[str] = mapped_column(String(30))
    to_nip: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))  # the substitute who confirmed, or Staf TU
    request_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PiketLog(Base):
    """One thing the duty officer handled: a client who reported, a release received, a Litmas request.

    ``entry_key`` names one filled-in form of the page: a repeated post changes nothing.
    """

    __tablename__ = "piket_hari_libur_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("piket_hari_libur_duty.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))  # wajib_lapor | pembebasan | litmas
    entry_key: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict] = mapped_column(JSON)
    case_number: Mapped[str | None] = mapped_column(String(30))
    logged_by: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = ["PiketDuty", "PiketHandover", "PiketLog", "PiketRoster"]
