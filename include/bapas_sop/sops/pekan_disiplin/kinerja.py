"""Pekan Disiplin's outcome figures for the SOP performance view: counts only, never a person.

Attendance is personal data: the Kinerja page and its reports get how many weeks were
processed, how many incidents the supervisors decided, and how many first threshold crossings
were recorded, not who.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bapas_sop.calendar import to_wib
from bapas_sop.descriptor import Figure
from bapas_sop.sops.pekan_disiplin.models import AttendanceDay, DisciplineWeek, ThresholdCrossing
from bapas_sop.store.db import session_scope


def figures(start: datetime, end: datetime) -> list[Figure]:
    first, last = to_wib(start).date(), to_wib(end).date()
    with session_scope() as session:
        weeks = session.scalar(select(func.count()).select_from(DisciplineWeek).where(
            DisciplineWeek.recap_sent_at >= start, DisciplineWeek.recap_sent_at < end)) or 0
        incidents = session.scalar(select(func.count()).select_from(AttendanceDay).where(
            AttendanceDay.insiden.is_(True), AttendanceDay.day >= first, AttendanceDay.day < last)) or 0
        decided = session.scalar(select(func.count()).select_from(AttendanceDay).where(
            AttendanceDay.insiden.is_(True), AttendanceDay.day >= first, AttendanceDay.day < last,
            AttendanceDay.decided_at.is_not(None))) or 0
        crossings = session.scalar(select(func.count()).select_from(ThresholdCrossing).where(
            ThresholdCrossing.recorded_at >= start, ThresholdCrossing.recorded_at < end)) or 0
    return [
        Figure.count("Pekan yang direkap", int(weeks)),
        Figure.share("Insiden kehadiran yang diputuskan atasan", int(decided), int(incidents)),
        Figure.count("Ambang PP 94/2021 pertama kali terlampaui (pembinaan dikirim)", int(crossings)),
    ]
