"""Gaji UMR's section of the history page: each month's activity, clients and who attended."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest
from bapas_sop.textid import format_date_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT

log = logging.getLogger(__name__)

#: Order of the clients inside a month: who came first, then who was expected, then the others.
_STATUS_ORDER = ("hadir", "dikonfirmasi", "tidak_hadir", "menolak", "tidak_terhubung")
_STATUS_TAGS = {"hadir": "good", "dikonfirmasi": "good", "tidak_hadir": "warn", "menolak": "bad", "tidak_terhubung": "bad"}


def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per month with an activity or a client contacted, newest month first."""
    from bapas_sop.sops.gaji_umr import rules as gaji_umr
    from bapas_sop.sops.gaji_umr.flow import CONTACT_STEP
    from bapas_sop.sops.gaji_umr.models import GajiUmrClient, GajiUmrMonth

    # client id -> where the client stands that month (confirmed, attended, absent, declined, unreachable).
    statuses: dict[str, dict[str, str]] = {}
    # The month's activity and report: the latest recorded, should the month have had two runs.
    activities: dict[str, GajiUmrMonth] = {}
    reports: dict[str, GajiUmrMonth] = {}
    names: dict[str, str] = {}
    with session_scope() as session:
        runs = list(session.scalars(select(GajiUmrMonth).order_by(GajiUmrMonth.id)))
        for run in sorted((r for r in runs if r.activity_at is not None), key=lambda r: r.activity_at):
            activities[run.month] = run
        for run in sorted((r for r in runs if r.reported_at is not None), key=lambda r: r.reported_at):
            reports[run.month] = run
        for client in session.scalars(select(GajiUmrClient).order_by(GajiUmrClient.id)):
            statuses.setdefault(client.month, {})[client.client_id] = client.status
        for request in session.scalars(select(FormRequest).where(FormRequest.step == CONTACT_STEP)):
            client_id, name = request.context.get("client_id"), request.context.get("client_name")
            if client_id and name:
                names[str(client_id)] = str(name)

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
            row["activity"] = {
                "kegiatan": activity.kegiatan or "-", "tempat": activity.tempat or "-",
                "tanggal": format_date_id(activity.tanggal) if activity.tanggal else "-", "jam": activity.jam,
                "suggested": bool(activity.suggested),
            }
        if report is not None:
            row["report"] = {
                "attended": attended if report.attended is None else report.attended, "invited": report.invited,
                "staff": report.staff, "at": format_date_id(report.reported_at, with_day=False),
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
