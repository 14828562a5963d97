"""Bus Mini's outcome figures for the SOP performance view: weeks with a video uploaded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bapas_sop.descriptor import Figure
from bapas_sop.sops.bus_mini.models import BusMiniWeek
from bapas_sop.store.db import session_scope


def figures(start: datetime, end: datetime) -> list[Figure]:
    """Weeks decided (uploaded or missed) in ``[start, end)`` and how many had their upload."""
    with session_scope() as session:
        weeks = session.execute(
            select(BusMiniWeek.week, BusMiniWeek.status)
            .where(BusMiniWeek.recorded_at >= start, BusMiniWeek.recorded_at < end, BusMiniWeek.status.is_not(None))
            .order_by(BusMiniWeek.week)
        ).all()
    labels = {"uploaded": "diunggah", "missed": "tidak diunggah"}
    detail = tuple((week, labels.get(status, status)) for week, status in weeks)
    uploaded = sum(1 for _, status in weeks if status == "uploaded")
    return [Figure.share("Pekan dengan video berita diunggah", uploaded, len(weeks), detail)]
