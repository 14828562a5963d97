"""Piket Hari Libur's outcome figures for the SOP performance view: duty days covered on time."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from bapas_sop.calendar import WIB, to_wib
from bapas_sop.descriptor import Figure
from bapas_sop.sops.piket_hari_libur.flow import LOG_KINDS, checkin_clock
from bapas_sop.sops.piket_hari_libur.models import PiketDuty, PiketHandover, PiketLog, PiketRoster
from bapas_sop.store.db import session_scope



def figures(start: datetime, end: datetime) -> list[Figure]:
    """Duties of the approved rosters on days in ``[start, end)``: checked in by the configured
    hour, hand-overs, and what the officers logged."""
    first, last = to_wib(start).date(), to_wib(end).date()
    check_in_by = checkin_clock()
    with session_scope() as session:
        duties = session.execute(
            select(PiketDuty.id, PiketDuty.day, PiketDuty.checked_in_at)
            .join(PiketRoster, PiketRoster.id == PiketDuty.roster_id)
            .where(PiketRoster.status == "disetujui", PiketDuty.day >= first, PiketDuty.day < last)
        ).all()
        ids = [d.id for d in duties]
        handovers = session.scalar(select(func.count()).select_from(PiketHandover).where(PiketHandover.duty_id.in_(ids))) or 0
        logged = Counter(kind for (kind,) in session.execute(
            select(PiketLog.kind).where(PiketLog.day >= first, PiketLog.day < last)).all())
    on_time = sum(
        1 for d in duties
        if d.checked_in_at is not None
        and to_wib(d.checked_in_at) <= datetime.combine(d.day, check_in_by, WIB)
    )
    return [
        Figure.share("Petugas piket hadir tepat waktu", on_time, len(duties)),
        Figure.count("Pergantian petugas (substitusi pelaksana)", int(handovers)),
        Figure.count("Layanan dicatat pada hari libur", sum(logged.values()),
                     tuple((LOG_KINDS.get(kind, kind), str(n)) for kind, n in sorted(logged.items()))),
    ]
