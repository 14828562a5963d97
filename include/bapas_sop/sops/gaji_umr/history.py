"""Gaji UMR's section of the history page: each month's activity, clients and who attended."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from bapas_sop.documents import percent_id
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest
from bapas_sop.textid import format_date_id, format_datetime_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT, MONTHS_SHORT, audit_events as _events, pick_event as _pick, safe_url

log = logging.getLogger(__name__)

#: Order of the clients inside a month: who came first, then who was expected, then the others.
_STATUS_ORDER = ("hadir", "dikonfirmasi", "tidak_hadir", "menolak", "tidak_terhubung")
_STATUS_TAGS = {"hadir": "good", "dikonfirmasi": "good", "tidak_hadir": "warn", "menolak": "bad", "tidak_terhubung": "bad"}


def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per month with an activity or a client contacted, newest month first."""
    from bapas_sop.sops.gaji_umr import rules as gaji_umr
    from bapas_sop.sops.gaji_umr.flow import CONTACT_STEP, participation_history

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
    from bapas_sop.sops.gaji_umr.flow import load_register

    try:
        register = load_register()
    except Exception:  # noqa: BLE001 - the page still shows the client ids
        log.warning("Daftar klien tidak dapat dibaca untuk halaman riwayat", exc_info=True)
        return {}
    return {str(cid): str(name) for cid, name in register["nama"].items()}
