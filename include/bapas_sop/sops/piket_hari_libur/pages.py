"""Piket Hari Libur's pages: the duty officer's page of the day and the roster for admins.

* ``/piket/<token>``: the officer's personal link of the day (an opaque random token stored with
  the duty). They check in, and log what they handle as it happens, as often as needed: a client
  reporting, a release received, a Litmas request. A Litmas logged here becomes an SP2LO case at
  once with its receipt time as logged (:mod:`bapas_sop.sops.sp2lo.intake`) and its SP2LO run is
  started right away; should that fail, ``sp2lo_pemantauan`` starts it within the hour.
* ``/admin/piket``: the month's roster (who is on duty each day, substitutions, check-ins, logs).
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bapas_sop.calendar import now_wib
from bapas_sop.descriptor import WebContext
from bapas_sop.forms.links import csrf_ok, csrf_token
from bapas_sop.forms.registry import get_form
from bapas_sop.textid import format_date_id
from bapas_sop.web.app import public_form_page, read_and_validate
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

#: The form of each kind of entry on the duty page (a Litmas request uses SP2LO's own letter form).
ENTRY_FORMS = {"wajib_lapor": "piket_hari_libur_wajib_lapor", "pembebasan": "piket_hari_libur_pembebasan",
               "litmas": "sp2lo_surat_masuk"}
ENTRY_FIELD = "_entry"
_ENTRY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,40}")
_TOKEN_MAX = 64


def _message(title: str, message: str, status_code: int = 200, link: str | None = None) -> Response:
    return render_page("message.html", status_code=status_code, title=title, message=message, link=link,
                       link_label="Kembali ke halaman piket" if link else None)


def _refused(exc: Exception) -> Response:
    return _message("Tautan piket tidak dapat digunakan", str(exc), status_code=404)


def duty_page(token: str, notice: str | None = None) -> Response:
    from bapas_sop.sops.piket_hari_libur import flow

    try:
        state = flow.page_state(token[:_TOKEN_MAX])
    except flow.DutyError as exc:
        return _refused(exc)
    return render_page("piket_hari_libur/piket.html", title="Piket hari libur", state=state, token=token,
                       csrf=csrf_token(token), kinds=flow.LOG_KINDS, notice=notice)


def roster_page(month: str | None = None) -> Response:
    from bapas_sop.sops.piket_hari_libur import history

    return render_page("piket_hari_libur/roster.html", title="Jadwal piket hari libur", **history.month_view(month))


def router(web: WebContext) -> APIRouter:
    routes = APIRouter()

    @routes.get("/piket/{token}", response_class=HTMLResponse)
    def page(token: str, tersimpan: int = Query(0, ge=0, le=2)) -> Response:
        notice = {1: "Catatan tersimpan.", 2: "Kehadiran Anda tercatat."}.get(tersimpan)
        return duty_page(token, notice)

    @routes.post("/piket/{token}/hadir", response_class=HTMLResponse)
    async def check_in(token: str, http_request: Request) -> Response:
        from bapas_sop.sops.piket_hari_libur import flow

        form_data = await http_request.form()
        if not csrf_ok(token, form_data.get("_csrf")):
            return _message("Kiriman ditolak", "Kiriman ini tidak berasal dari halaman piket Anda. Buka lagi tautan "
                            "dari email lalu coba sekali lagi.", status_code=403)
        try:
            flow.check_in(token[:_TOKEN_MAX], remote_addr=http_request.client.host if http_request.client else None)
        except flow.DutyError as exc:
            return _message("Kehadiran belum dapat diisi", str(exc), status_code=409, link=f"/bapas/piket/{token}")
        return RedirectResponse(f"/bapas/piket/{token}?tersimpan=2", status_code=303)

    @routes.get("/piket/{token}/catat/{kind}", response_class=HTMLResponse)
    def entry_form(token: str, kind: str) -> Response:
        return _entry_page(token, kind, values=None, errors={})

    @routes.post("/piket/{token}/catat/{kind}", response_class=HTMLResponse)
    async def entry_post(token: str, kind: str, http_request: Request) -> Response:
        return await _record_entry(web, token, kind, http_request)

    @routes.get("/admin/piket", response_class=HTMLResponse, dependencies=[Depends(web.admin)])
    def roster(bulan: str | None = Query(None, max_length=7, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")) -> Response:
        return roster_page(bulan)

    return routes


def _entry_page(token: str, kind: str, *, values: dict[str, Any] | None, errors: dict[str, str],
                entry: str | None = None, status_code: int = 200) -> Response:
    from bapas_sop.sops.piket_hari_libur import flow

    if kind not in ENTRY_FORMS:
        return _message("Halaman tidak ditemukan", "Jenis catatan piket ini tidak dikenal.", status_code=404)
    try:
        day, open_ = flow.duty_of_token(token[:_TOKEN_MAX])
    except flow.DutyError as exc:
        return _refused(exc)
    if not open_:
        return _message("Catatan piket ditutup", f"Catatan untuk piket {format_date_id(day)} belum dibuka atau "
                        "sudah dilaporkan.", status_code=409, link=f"/bapas/piket/{token}")
    if values is None:
        values = {"diterima_pada": now_wib().strftime("%Y-%m-%dT%H:%M")} if kind == "litmas" else {}
    return public_form_page(get_form(ENTRY_FORMS[kind]), action=f"/piket/{token}/catat/{kind}", values=values,
                            errors=errors, status_code=status_code,
                            hidden={"_csrf": csrf_token(token), ENTRY_FIELD: entry or secrets.token_urlsafe(18)})


async def _record_entry(web: WebContext, token: str, kind: str, http_request: Request) -> Response:
    from bapas_sop.sops.piket_hari_libur import flow

    if kind not in ENTRY_FORMS:
        return _message("Halaman tidak ditemukan", "Jenis catatan piket ini tidak dikenal.", status_code=404)
    form = get_form(ENTRY_FORMS[kind])
    form_data, _raw, validation = await read_and_validate(http_request, form)
    if not csrf_ok(token, form_data.get("_csrf")):
        return _message("Kiriman ditolak", "Kiriman ini tidak berasal dari halaman piket Anda. Buka lagi tautan dari "
                        "email lalu coba sekali lagi.", status_code=403)
    entry = form_data.get(ENTRY_FIELD)
    entry = entry if isinstance(entry, str) and _ENTRY_PATTERN.fullmatch(entry) else None
    if not validation.ok or entry is None:
        errors = dict(validation.errors)
        if entry is None:
            errors[ENTRY_FIELD] = "Kode catatan halaman ini tidak sah. Isian Anda tetap ada; periksa lalu kirim sekali lagi."
        return _entry_page(token, kind, values=validation.kept, errors=errors, entry=entry, status_code=422)
    try:
        day, open_ = flow.duty_of_token(token[:_TOKEN_MAX])
        if not open_:
            raise flow.DutyError("Catatan piket ini sudah ditutup.")
        case_number = _litmas_case(web, token, entry, validation.values) if kind == "litmas" else None
        flow.log_entry(token[:_TOKEN_MAX], kind, validation.values, entry, case_number=case_number)
    except flow.DutyError as exc:
        return _message("Catatan belum dapat disimpan", str(exc), status_code=409, link=f"/bapas/piket/{token}")
    return RedirectResponse(f"/bapas/piket/{token}?tersimpan=1", status_code=303)


def _litmas_case(web: WebContext, token: str, entry: str, values: dict[str, Any]) -> str:
    """The SP2LO case of a Litmas logged on duty, registered with its receipt time and started now."""
    from datetime import datetime

    from bapas_sop.calendar import WIB
    from bapas_sop.sops.piket_hari_libur import flow
    from bapas_sop.sops.sp2lo import intake

    with_duty = flow.page_state(token[:_TOKEN_MAX])
    received = datetime.fromisoformat(values["diterima_pada"]).replace(tzinfo=WIB)
    case_number, created = intake.register_received(values, received_at=received, entry_key=f"piket-{entry}",
                                                    channel="piket", actor=f"piket/{with_duty['duty_id']}")
    if created:
        try:
            web.start_run(*intake.run_for(case_number))
        except Exception:  # noqa: BLE001 - the case is stored; sp2lo_pemantauan starts its run
            log.exception("could not start the SP2LO run of %s now", case_number)
    return case_number


__all__ = ["duty_page", "roster_page", "router"]
