"""The SOP history page for admins ("Riwayat SOP"): Peterpan, Bus Mini and Gaji UMR, past periods.

The route (``/admin/riwayat``, behind the admin login, ``?sop=peterpan|bus_mini|gaji_umr`` for one
section) lives in :mod:`bapas_sop.web.admin_pages`; this module only builds the page, so that it
can be rendered and tested without the app.

Nothing here has a table of its own: every row is read back from the audit trail the flows write.

* Peterpan, per quarter: :func:`bapas_sop.sop.peterpan_flow.winners_history` (``peterpan_winner``),
  with the same quarter's ``peterpan_tally`` (participation), ``peterpan_certificate_issued`` /
  ``peterpan_certificate_refused`` and ``peterpan_closed`` (photo, gift).
* Bus Mini, per ISO week: :func:`bapas_sop.sop.bus_mini_flow.week_history` (``bus_mini_week``).
* Gaji UMR, per month: :func:`bapas_sop.sop.gaji_umr_flow.participation_history`
  (``gaji_umr_participation``: attended, absent, declined, unreachable), the contacts
  (``gaji_umr_contact``: who confirmed before the day), the month's ``gaji_umr_activity`` and
  ``gaji_umr_report``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy import select

from bapas_sop.calendar import to_wib
from bapas_sop.documents import percent_id
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest, utcnow
from bapas_sop.textid import MONTHS, format_date_id, format_datetime_id
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

#: The sections of the page, in the order shown; ``?sop=`` picks one of them.
SECTIONS: dict[str, str] = {"peterpan": "Peterpan", "bus_mini": "Bus Mini", "gaji_umr": "Gaji UMR"}
DEFAULT_LIMIT = 12

#: ``Jan`` ... ``Des``: the first three letters of the Indonesian month names are their usual short forms.
MONTHS_SHORT = tuple(m[:3] for m in MONTHS)


def history_page(sop: str | None = None, *, now: datetime | None = None, limit: int = DEFAULT_LIMIT) -> HTMLResponse:
    """Render ``pages/admin_history.html``: every section, or only ``sop`` when it names one."""
    now = to_wib(now or utcnow())
    chosen = sop if sop in SECTIONS else None
    shown = [chosen] if chosen else list(SECTIONS)
    context: dict[str, Any] = {"peterpan": None, "bus_mini": None, "gaji_umr": None}
    if "peterpan" in shown:
        context["peterpan"] = peterpan_rows(limit)
    if "bus_mini" in shown:
        rows = bus_mini_rows(limit)
        context["bus_mini"] = {"rows": rows, "summary": bus_mini_summary(rows)}
    if "gaji_umr" in shown:
        context["gaji_umr"] = gaji_umr_rows(limit)
    return render_page(
        "admin_history.html",
        title="Riwayat SOP",
        sections=SECTIONS,
        chosen=chosen,
        generated=format_datetime_id(now),
        **context,
    )


# --------------------------------------------------------------------------- helpers


def safe_url(value: Any) -> str | None:
    """A link an admin may click: only http(s); anything else (``javascript:``...) is not linked."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


def _events(session: Any, actions: Iterable[str], subjects: Iterable[str] | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action.in_(list(actions)))
    if subjects is not None:
        stmt = stmt.where(AuditEvent.subject.in_(list(subjects)))
    return list(session.scalars(stmt.order_by(AuditEvent.id)))


def _pick(events: list[AuditEvent], run_id: str | None) -> AuditEvent | None:
    """The event of ``run_id`` when there is one, else the latest (events in id order)."""
    if not events:
        return None
    same_run = [e for e in events if run_id is not None and e.run_id == run_id]
    return (same_run or events)[-1]


# --------------------------------------------------------------------------- Peterpan


def peterpan_rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per quarter with a winner, newest quarter first."""
    from bapas_sop.sop.peterpan_flow import subject, winners_history

    winners: dict[str, dict[str, Any]] = {}
    for winner in winners_history(limit * 4):  # newest first: a repeated survey's winner stands
        winners.setdefault(winner["quarter"], winner)
    quarters = sorted(winners, reverse=True)[:limit]
    if not quarters:
        return []
    with session_scope() as session:
        events = _events(
            session,
            ("peterpan_winner", "peterpan_tally", "peterpan_certificate_issued", "peterpan_certificate_refused",
             "peterpan_closed"),
            [subject(q) for q in quarters],
        )
        by_quarter: dict[tuple[str, str], list[AuditEvent]] = {}
        for e in events:
            by_quarter.setdefault((e.subject.split("/", 1)[1], e.action), []).append(e)
        rows = []
        for quarter in quarters:
            # The other events of the winner's run (a repeated survey has two runs in one quarter).
            won_events = by_quarter.get((quarter, "peterpan_winner"), [])
            run_id = won_events[-1].run_id if won_events else None
            found = {action: _pick(by_quarter.get((quarter, action), []), run_id) for action in
                     ("peterpan_tally", "peterpan_certificate_issued", "peterpan_certificate_refused", "peterpan_closed")}
            rows.append(_peterpan_row(quarter, winners[quarter], found))
    return rows


def _peterpan_row(quarter: str, won: Mapping[str, Any], found: Mapping[str, AuditEvent | None]) -> dict[str, Any]:
    from bapas_sop.sop.peterpan import Quarter

    try:
        parsed = Quarter.parse(quarter)
        label, months = parsed.label, parsed.months_label
    except ValueError:
        label, months = quarter, ""
    by_kabapas = won.get("decided_by") == "kabapas"
    row: dict[str, Any] = {
        "quarter": quarter, "label": label, "months": months,
        "name": won.get("name") or won.get("nip") or "-", "nip": won.get("nip"),
        "votes": won.get("votes"),
        "decided_by": "Kepala Bapas (perolehan suara sama)" if by_kabapas else "Perolehan suara terbanyak",
        "by_kabapas": by_kabapas, "decision_note": won.get("note"),
        "decided_at": format_datetime_id(won.get("at")),
        "participation": None,
        "certificate": "pending", "certificate_note": None,
        "photo_url": None, "gift": None, "handed_over_on": None,
    }
    tally, closed = found.get("peterpan_tally"), found.get("peterpan_closed")
    issued, refused = found.get("peterpan_certificate_issued"), found.get("peterpan_certificate_refused")
    if tally is not None and tally.detail.get("voters"):
        d = tally.detail
        row["participation"] = f"{d.get('voted', 0)} dari {d['voters']} pegawai ({percent_id(d.get('participation'))})"
    # Issued and refused are exclusive within a run; should both be recorded (runs repeated), the later stands.
    if issued is not None and (refused is None or issued.id > refused.id):
        row["certificate"] = "issued"
        row["certificate_note"] = issued.detail.get("number")
    elif refused is not None:
        row["certificate"] = "refused"
        row["certificate_note"] = refused.detail.get("note")
    if closed is not None:
        d = closed.detail
        row["photo_url"] = safe_url(d.get("photo_url"))
        row["gift"] = d.get("gift")
        row["handed_over_on"] = format_date_id(d.get("handed_over_on"), with_day=False) if d.get("handed_over_on") else None
    return row


# --------------------------------------------------------------------------- Bus Mini


def week_label(week_key: str) -> str:
    """``Pekan 48 (23–29 Nov 2026)``; ``Pekan 1 (29 Des 2025 – 4 Jan 2026)`` across a year."""
    from bapas_sop.sop.bus_mini import Week

    try:
        week = Week.parse(week_key)
    except ValueError:
        return week_key
    first, last = week.monday, week.sunday
    if first.month == last.month:
        period = f"{first.day}–{last.day} {MONTHS_SHORT[last.month - 1]} {last.year}"
    elif first.year == last.year:
        period = f"{first.day} {MONTHS_SHORT[first.month - 1]} – {last.day} {MONTHS_SHORT[last.month - 1]} {last.year}"
    else:
        period = (f"{first.day} {MONTHS_SHORT[first.month - 1]} {first.year} – "
                  f"{last.day} {MONTHS_SHORT[last.month - 1]} {last.year}")
    return f"Pekan {week.number} ({period})"


def bus_mini_rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per recorded week, newest first: uploaded (with the video) or missed."""
    from bapas_sop.sop.bus_mini import UPLOADED
    from bapas_sop.sop.bus_mini_flow import week_history

    rows = []
    for week in week_history(limit):
        uploaded = week.get("status") == UPLOADED
        published = week.get("published_at")
        rows.append({
            "week": week["week"], "label": week_label(week["week"]), "uploaded": uploaded,
            "title": week.get("title") or "", "url": safe_url(week.get("url")) if uploaded else None,
            "raw_url": week.get("url") if uploaded else None,
            "published": format_datetime_id(published) if uploaded and published else None,
            "confirmed": uploaded and week.get("source") == "konfirmasi",
        })
    return rows


def bus_mini_summary(rows: list[Mapping[str, Any]]) -> str | None:
    """``3 dari 4 pekan terakhir terunggah`` (over the weeks shown); None without any week."""
    if not rows:
        return None
    return f"{sum(1 for r in rows if r['uploaded'])} dari {len(rows)} pekan terakhir terunggah"


# --------------------------------------------------------------------------- Gaji UMR

#: Order of the clients inside a month: who came first, then who was expected, then the others.
_STATUS_ORDER = ("hadir", "dikonfirmasi", "tidak_hadir", "menolak", "tidak_terhubung")
_STATUS_TAGS = {"hadir": "good", "dikonfirmasi": "good", "tidak_hadir": "warn", "menolak": "bad", "tidak_terhubung": "bad"}


def gaji_umr_rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per month with an activity or a client contacted, newest month first."""
    from bapas_sop.sop import gaji_umr
    from bapas_sop.sop.gaji_umr_flow import CONTACT_STEP, participation_history

    # client id -> status per month: a participation record (attended, absent, declined,
    # unreachable) stands over the contact's answer (confirmed is only in the contact).
    statuses: dict[str, dict[str, str]] = {}
    activities: dict[str, AuditEvent] = {}
    reports: dict[str, AuditEvent] = {}
    names: dict[str, str] = {}
    with session_scope() as session:
        for e in _events(session, ("gaji_umr_activity", "gaji_umr_report", "gaji_umr_contact")):
            parts = e.subject.split("/")
            if len(parts) < 2:
                continue
            month = parts[1]
            if e.action == "gaji_umr_activity":
                activities[month] = e
            elif e.action == "gaji_umr_report":
                reports[month] = e
            elif len(parts) == 4 and e.detail.get("status"):  # gaji_umr/<month>/klien/<client id>
                statuses.setdefault(month, {})[parts[3]] = e.detail["status"]
        for request in session.scalars(select(FormRequest).where(FormRequest.step == CONTACT_STEP)):
            client_id, name = request.context.get("client_id"), request.context.get("client_name")
            if client_id and name:
                names[str(client_id)] = str(name)
    history = participation_history()
    for record in history.to_dict("records"):
        if record.get("month") and record.get("client_id") and record.get("status"):
            statuses.setdefault(str(record["month"]), {})[str(record["client_id"])] = str(record["status"])

    months = sorted(set(statuses) | set(activities), reverse=True)[:limit]
    missing = {c for m in months for c in statuses.get(m, {}) if c not in names}
    if missing:
        names.update(_register_names())
    rows = []
    for month in months:
        clients = [
            {"client_id": cid, "name": names.get(cid, cid), "status": status,
             "status_label": gaji_umr.STATUS_LABELS.get(status, status), "tag": _STATUS_TAGS.get(status, "")}
            for cid, status in statuses.get(month, {}).items()
        ]
        clients.sort(key=lambda c: (_STATUS_ORDER.index(c["status"]) if c["status"] in _STATUS_ORDER else 99, c["name"]))
        try:
            label = gaji_umr.month_label(month)
        except ValueError:
            label = month
        activity = activities.get(month)
        report = reports.get(month)
        attended = sum(1 for c in clients if c["status"] == gaji_umr.ATTENDED)
        row: dict[str, Any] = {
            "month": month, "label": label, "clients": clients, "attended": attended,
            "activity": None, "report": None,
        }
        if activity is not None:
            d = activity.detail
            row["activity"] = {
                "kegiatan": d.get("kegiatan") or "-", "tempat": d.get("tempat") or "-",
                "tanggal": format_date_id(d.get("tanggal")) if d.get("tanggal") else "-", "jam": d.get("jam"),
                "suggested": d.get("source") == "saran",
            }
        if report is not None:
            d = report.detail
            row["report"] = {
                "attended": d.get("attended", attended), "invited": d.get("invited"), "staff": d.get("staff"),
                "at": format_date_id(report.at, with_day=False),
            }
        rows.append(row)
    return rows


def _register_names() -> dict[str, str]:
    """Client names from the register, for records whose contact form is gone; nothing when unreadable."""
    from bapas_sop.sop.gaji_umr_flow import load_register

    try:
        register = load_register()
    except Exception:  # noqa: BLE001 - the page still shows the client ids
        log.warning("Daftar klien tidak dapat dibaca untuk halaman riwayat", exc_info=True)
        return {}
    return {str(cid): str(name) for cid, name in register["nama"].items()}


__all__ = [
    "SECTIONS",
    "bus_mini_rows",
    "bus_mini_summary",
    "gaji_umr_rows",
    "history_page",
    "peterpan_rows",
    "safe_url",
    "week_label",
]
