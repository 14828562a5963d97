"""Tamu Ngopi's outcome figures for the SOP performance view: forums held, action items done on time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bapas_sop.calendar import to_wib
from bapas_sop.descriptor import Figure
from bapas_sop.sops.tamu_ngopi.models import TamuNgopiActionItem, TamuNgopiMeeting
from bapas_sop.sops.tamu_ngopi.rules import DONE
from bapas_sop.store.db import session_scope


def figures(start: datetime, end: datetime) -> list[Figure]:
    """Forums whose minutes were recorded in ``[start, end)`` (with attendance), and the action
    items due in the period: done, and done by their due date."""
    with session_scope() as session:
        meetings = session.execute(
            select(TamuNgopiMeeting.month, TamuNgopiMeeting.attended)
            .where(TamuNgopiMeeting.minutes_at >= start, TamuNgopiMeeting.minutes_at < end)
            .order_by(TamuNgopiMeeting.month)
        ).all()
        items = session.execute(
            select(TamuNgopiActionItem.status, TamuNgopiActionItem.due_date, TamuNgopiActionItem.done_at)
            .where(TamuNgopiActionItem.due_date >= to_wib(start).date(), TamuNgopiActionItem.due_date < to_wib(end).date())
        ).all()
    done = [i for i in items if i.status == DONE]
    on_time = [i for i in done if i.done_at is not None and to_wib(i.done_at).date() <= i.due_date]
    return [
        Figure.count("Forum terlaksana", len(meetings),
                     tuple((m.month, f"{m.attended or 0} hadir") for m in meetings)),
        Figure.share("Tindak lanjut selesai (jatuh tempo pada periode)", len(done), len(items)),
        Figure.share("Tindak lanjut selesai tepat waktu", len(on_time), len(items)),
    ]
