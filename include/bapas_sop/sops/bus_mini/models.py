"""Bus Mini's records: one row per week run, from the rundown to the week's outcome.

The audit trail still logs every step, but it is a log: the flow decides what it already did
(rundown sent, reminder sent, escalated, week recorded) and the history page shows the weeks
from this table, so neither depends on the wording of an audit action. The schema is created
by ``migrations/bus_mini_0001_records.py`` (Alembic branch ``bus_mini``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bapas_sop.store.models import Base, utcnow


class BusMiniWeek(Base):
    """One run of the weekly DAG for one ISO week (``2026-W48``).

    ``run_id`` is unique: a retried task finds its run's row instead of adding one. A week may
    have several runs (an admin re-runs it); the history shows the latest recorded outcome.
    ``status`` stays empty until the upload check settled the week (uploaded or missed).
    """

    __tablename__ = "bus_mini_week"

    id: Mapped[int] = mapped_column(primary_key=True)
    week: Mapped[str] = mapped_column(String(10), index=True)
    dag_id: Mapped[str | None] = mapped_column(String(250))
    run_id: Mapped[str] = mapped_column(String(250), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The rundown to Tim Humas (the script base).
    rundown_sent_at: Mapped[datetime | None]
    rundown_recipients: Mapped[int | None] = mapped_column(Integer)
    rundown_items: Mapped[int | None] = mapped_column(Integer)
    rundown_reporters: Mapped[int | None] = mapped_column(Integer)

    # The upload check's reminder to Tim Humas and escalation to the Ketua Humas.
    reminder_sent_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    # The week's outcome.
    status: Mapped[str | None] = mapped_column(String(20), index=True)  # uploaded | missed
    recorded_at: Mapped[datetime | None]
    video_id: Mapped[str | None] = mapped_column(String(50))
    video_url: Mapped[str | None] = mapped_column(String(500))
    video_title: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(20))  # youtube | konfirmasi
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_at: Mapped[datetime | None]

    # The link to every employee.
    announced_at: Mapped[datetime | None]
    announced_to: Mapped[int | None] = mapped_column(Integer)


def latest_weeks(session: Session, limit: int) -> list[BusMiniWeek]:
    """The recorded weeks, newest week first, each with its latest outcome (an admin may have
    run a week again): what the history page, the rundown and the escalation show."""
    recorded = session.scalars(
        select(BusMiniWeek).where(BusMiniWeek.status.is_not(None))
        .order_by(BusMiniWeek.recorded_at.desc(), BusMiniWeek.id.desc())
    ).all()
    seen: dict[str, BusMiniWeek] = {}
    for row in recorded:
        seen.setdefault(row.week, row)
    return sorted(seen.values(), key=lambda r: r.week, reverse=True)[:limit]
