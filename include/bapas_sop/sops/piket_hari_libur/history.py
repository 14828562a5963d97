"""Piket Hari Libur on the admin pages: the month's roster, and each person's duty history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bapas_sop.calendar import now_wib
from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_date_id, format_datetime_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT


def _names() -> dict[str, str]:
    from bapas_sop.directory import get_directory

    return {p.nip: p.name for p in get_directory().people}


def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per person who stood (or handed over) holiday duty: their latest ``limit`` duties, newest first."""
    from bapas_sop.sops.piket_hari_libur.models import PiketDuty, PiketHandover, PiketRoster

    names = _names()
    people: dict[str, list[dict[str, Any]]] = {}
    with session_scope() as session:
        duties = session.execute(
            select(PiketDuty).join(PiketRoster, PiketRoster.id == PiketDuty.roster_id)
            .where(PiketRoster.status == "disetujui").order_by(PiketDuty.day.desc(), PiketDuty.slot)).scalars().all()
        handovers = session.scalars(select(PiketHandover).order_by(PiketHandover.id)).all()
        for h in handovers:
            duty = session.get(PiketDuty, h.duty_id)
            people.setdefault(h.from_nip, []).append({
                "day": format_date_id(duty.day), "sort": duty.day, "status": f"digantikan {names.get(h.to_nip, h.to_nip)}",
                "tag": "warn"})
        for d in duties:
            if d.checked_in_at:
                status, tag = f"hadir {format_datetime_id(d.checked_in_at)}", "good"
            elif d.escalated_at:
                status, tag = "tidak mengisi kehadiran", "bad"
            else:
                status, tag = "terjadwal", ""
            if d.scheduled_nip and d.scheduled_nip != d.nip:
                status += f" (menggantikan {names.get(d.scheduled_nip, d.scheduled_nip)})"
            people.setdefault(d.nip, []).append({"day": format_date_id(d.day), "sort": d.day, "status": status, "tag": tag})
    result = []
    for nip, items in people.items():
        items.sort(key=lambda i: i["sort"], reverse=True)
        year = now_wib().year
        result.append({"nip": nip, "name": names.get(nip, nip), "duties": items[:limit],
                       "this_year": sum(1 for i in items if i["sort"].year == year and not i["status"].startswith("digantikan"))})
    result.sort(key=lambda r: r["name"])
    return result  # one row per employee (the office's size bounds it); ``limit`` bounds each one's duties


def month_view(month: str | None = None) -> dict[str, Any]:
    """The admin page's context: the month's days with their officers, hand-overs and logs."""
    from bapas_sop.sops.piket_hari_libur import rules
    from bapas_sop.sops.piket_hari_libur.models import PiketDuty, PiketHandover, PiketLog, PiketRoster

    names = _names()
    with session_scope() as session:
        months = sorted(set(session.scalars(select(PiketRoster.month))), reverse=True)
        if month is None:
            today = now_wib().date()
            current = f"{today.year:04d}-{today.month:02d}"
            month = current if current in months or not months else months[0]
        roster = session.scalars(select(PiketRoster).where(PiketRoster.month == month)
                                 .order_by(PiketRoster.approved_at.is_(None), PiketRoster.id.desc())).first()
        days: dict[Any, dict[str, Any]] = {}
        if roster is not None:
            for d in session.scalars(select(PiketDuty).where(PiketDuty.roster_id == roster.id).order_by(PiketDuty.day, PiketDuty.slot)):
                day = days.setdefault(d.day, {"label": format_date_id(d.day), "reason": d.reason, "officers": [],
                                              "handovers": [], "entries": 0})
                day["officers"].append({
                    "name": names.get(d.nip, d.nip or "(kosong)"), "role": rules.PLACE_TITLES.get(d.role, d.role),
                    "checked_in": format_datetime_id(d.checked_in_at) if d.checked_in_at else None,
                    "escalated": d.escalated_at is not None})
                for h in session.scalars(select(PiketHandover).where(PiketHandover.duty_id == d.id)):
                    day["handovers"].append(f"{names.get(h.from_nip, h.from_nip)} → {names.get(h.to_nip, h.to_nip)}"
                                            f" ({format_datetime_id(h.at)})")
            for day_value, info in days.items():
                info["entries"] = len(session.scalars(select(PiketLog.id).where(PiketLog.day == day_value)).all())
        status = None
        if roster is not None:
            status = "disetujui" if roster.status == "disetujui" else "menunggu persetujuan"
    return {"month": month, "month_label": rules.month_label(month) if month else None, "months": months,
            "status": status, "days": list(days.values()),
            "notes": list(roster.notes or []) if roster is not None else []}


__all__ = ["month_view", "rows"]
