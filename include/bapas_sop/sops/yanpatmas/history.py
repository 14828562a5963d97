"""Yanpatmas's section of the history page: the latest closed complaints by ticket, with
channel, category, how they ended and whether they were handled on time.

Tickets only, like every page behind an Airflow login: no contents, no identity, no names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bapas_sop.sops.yanpatmas import rules
from bapas_sop.sops.yanpatmas.models import Complaint
from bapas_sop.sops.yanpatmas.monitor import handled_on_time
from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_datetime_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT

ENDINGS = {
    rules.Stage.WITHDRAWN: "Ditarik (tidak dilengkapi)",
    rules.Stage.OUT_OF_SCOPE: "Di luar kewenangan",
}


def ending(c: Complaint) -> str:
    if c.stage in ENDINGS:
        return ENDINGS[c.stage]
    if c.outcome == "terbukti":
        return f"Terbukti; {rules.SANCTIONS.get(c.sanction_level or '', 'sanksi').lower()}"
    if c.outcome == "tidak_terbukti":
        return "Tidak terbukti; rehabilitasi"
    return "Ditanggapi tanpa pemeriksaan"


def rows(limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """The section's context: the latest closed complaints and how many met their deadlines."""
    with session_scope() as session:
        closed = list(session.scalars(
            select(Complaint).where(Complaint.stage.in_([str(s) for s in rules.FINAL_STAGES]))
            .order_by(Complaint.closed_at.desc()).limit(limit)))
    categories = rules.categories()
    shown = [{"ticket": c.ticket, "channel": rules.CHANNELS.get(c.channel, c.channel),
              "category": categories.get(c.category or "", "-"), "ending": ending(c),
              "closed": format_datetime_id(c.closed_at) if c.closed_at else "-", "on_time": handled_on_time(c),
              "rating": c.rating} for c in closed]
    timely = sum(1 for r in shown if r["on_time"])
    return {"rows": shown, "summary": f"{timely} dari {len(shown)} pengaduan terakhir ditangani tepat waktu" if shown else None}
