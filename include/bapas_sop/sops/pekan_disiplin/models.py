"""Pekan Disiplin's records: the weeks, every employee's working days, the thresholds sent.

Attendance is personal data: it lives here, in the project's database, and nowhere in
Airflow (the DAG's tasks pass the week id and counts). The schema is created by
``migrations/pekan_disiplin_0001_records.py`` (Alembic branch ``pekan_disiplin``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bapas_sop.store.models import Base, utcnow


class DisciplineWeek(Base):
    """One run of the weekly DAG for one ISO week (``2026-W46``); ``run_id`` is unique, so a
    retried task finds its run's row. The counts are what the recap and the history show."""

    __tablename__ = "pekan_disiplin_week"

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(10), index=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(500))
    rows: Mapped[int | None] = mapped_column(Integer)
    bad_rows: Mapped[int | None] = mapped_column(Integer)
    working_days: Mapped[int | None] = mapped_column(Integer)
    employees: Mapped[int | None] = mapped_column(Integer)
    incidents: Mapped[int | None] = mapped_column(Integer)
    apel_recorded_at: Mapped[datetime | None]
    forms_sent: Mapped[int | None] = mapped_column(Integer)
    crossings: Mapped[int | None] = mapped_column(Integer)
    recap_sent_at: Mapped[datetime | None]


class AttendanceDay(Base):
    """One employee on one working day: the scans, what they make, and the supervisor's decision.

    ``insiden`` marks a day a supervisor decides on (absent, late, early, a scan missing).
    ``keputusan``: one of ``sakit``, ``izin``, ``cuti``, ``dinas`` (excused, with ``bukti``),
    ``tidak_sah`` (not excused) or ``tidak_dijawab`` (the supervisor did not answer in time:
    counted as not excused). A week loaded again keeps its decisions.
    """

    __tablename__ = "pekan_disiplin_day"
    __table_args__ = (UniqueConstraint("nip", "day", name="uq_pekan_disiplin_day_nip_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(10), index=True)
    nip: Mapped[str] = mapped_column(String(18), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    section: Mapped[str | None] = mapped_column(String(20))
    masuk: Mapped[int | None] = mapped_column(Integer)  # minutes after midnight (WIB)
    pulang: Mapped[int | None] = mapped_column(Integer)
    terlambat_menit: Mapped[int] = mapped_column(Integer, default=0)
    pulang_cepat_menit: Mapped[int] = mapped_column(Integer, default=0)
    tidak_masuk: Mapped[bool] = mapped_column(Boolean, default=False)
    scan_tidak_lengkap: Mapped[bool] = mapped_column(Boolean, default=False)
    jenis_ketidakhadiran: Mapped[str | None] = mapped_column(String(20))  # from the leave/travel register
    tidak_apel: Mapped[bool] = mapped_column(Boolean, default=False)
    tidak_berseragam: Mapped[bool] = mapped_column(Boolean, default=False)
    insiden: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    supervisor_nip: Mapped[str | None] = mapped_column(String(18))
    keputusan: Mapped[str | None] = mapped_column(String(20))
    bukti: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None]

    @property
    def dimaafkan(self) -> bool:
        from bapas_sop.sops.pekan_disiplin.rules import EXCUSES

        return self.keputusan in EXCUSES


class ThresholdCrossing(Base):
    """A PP 94/2021 threshold reached by one person in one year: the coaching note and the
    recommendation are sent once, when this row is added."""

    __tablename__ = "pekan_disiplin_crossing"
    __table_args__ = (UniqueConstraint("nip", "year", "threshold", name="uq_pekan_disiplin_crossing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), index=True)
    year: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[str] = mapped_column(String(40))
    days: Mapped[int] = mapped_column(Integer)
    week: Mapped[str] = mapped_column(String(10))
    run_id: Mapped[str | None] = mapped_column(String(250))
    supervisor_nip: Mapped[str | None] = mapped_column(String(18))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
