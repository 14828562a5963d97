"""SP2LO's own pages: the public Litmas request form, the letter typed in by staff, and the
Litmas monitor for admins (every open Litmas, its stage, PK, deadline, time left).

:func:`router` is what the SOP's descriptor names; the web app mounts it at its root.
:func:`litmas_page` builds the monitor alone, so that it can be rendered and tested without the app.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, Response

from bapas_sop.calendar import to_wib
from bapas_sop.descriptor import WebContext
from bapas_sop.forms.registry import get_form
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id
from bapas_sop.web.app import public_form_page, raw_values
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

#: The public form of a request and the letter typed in by staff: form name, channel, path.
INTAKE = {"formulir": ("sp2lo_permohonan", "/litmas/permohonan"), "surat": ("sp2lo_surat_masuk", "/litmas/surat-masuk")}


def litmas_page(now: datetime | None = None) -> HTMLResponse:
    """Render ``sp2lo/litmas.html`` as of ``now`` (default: the current time), most
    urgent Litmas first, with the counts an admin looks at first: open, overdue, near the end."""
    from bapas_sop.sops.sp2lo.monitor import monitor_counts, monitor_rows, reminder_fractions

    now = to_wib(now or utcnow())
    rows = monitor_rows(now)
    fractions = reminder_fractions()
    return render_page(
        "sp2lo/litmas.html",
        title="Pemantauan Litmas (SP2LO)",
        rows=rows,
        counts=monitor_counts(rows),
        warn_percent=round((fractions[-1] if fractions else 0.8) * 100),
        generated=format_datetime_id(now),
    )


def start_litmas_run(web: WebContext, case_number: str) -> Any:
    """The SP2LO run of a registered case; its run id names the case, so a repeat is refused."""
    return web.start_run("sp2lo", f"litmas__{case_number}", {"case_number": case_number})


def router(web: WebContext) -> APIRouter:
    routes = APIRouter()

    @routes.get("/litmas/permohonan", response_class=HTMLResponse)
    def intake_page() -> Response:
        return public_form_page(get_form("sp2lo_permohonan"), action="/litmas/permohonan", values={}, errors={})

    @routes.post("/litmas/permohonan", response_class=HTMLResponse)
    async def intake_post(http_request: Request, background: BackgroundTasks) -> Response:
        return await _register(web, http_request, "formulir")

    @routes.get("/litmas/surat-masuk", response_class=HTMLResponse)
    def letter_page(user: Any = Depends(web.admin)) -> Response:
        return public_form_page(get_form("sp2lo_surat_masuk"), action="/litmas/surat-masuk", values={}, errors={})

    @routes.post("/litmas/surat-masuk", response_class=HTMLResponse)
    async def letter_post(http_request: Request, background: BackgroundTasks, user: Any = Depends(web.admin)) -> Response:
        return await _register(web, http_request, "surat")

    @routes.get("/admin/litmas", response_class=HTMLResponse, dependencies=[Depends(web.admin)])
    def litmas() -> Response:
        return litmas_page()

    return routes


async def _register(web: WebContext, http_request: Request, channel: str) -> Response:
    from bapas_sop.sops.sp2lo import service

    form_name, path = INTAKE[channel]
    form = get_form(form_name)
    raw = raw_values(await http_request.form())
    validation = form.validate(raw)
    action = path.rsplit("/", 1)[-1]
    if not validation.ok:
        return public_form_page(form, action=action, values=validation.kept, errors=validation.errors, status_code=422)
    case = service.register_request(validation.values, channel=channel, actor=str(raw.get("email_pemohon") or channel))
    try:
        start_litmas_run(web, case.case_number)
    except Exception:  # noqa: BLE001 - the case is stored; the monitor starts its run later
        log.exception("could not start the SP2LO run of %s now", case.case_number)
    return render_page(
        "message.html",
        title="Permintaan diterima",
        message=(
            f"Permintaan Litmas untuk {case.client_name} telah dicatat dengan nomor perkara "
            f"{case.case_number}. Tanda terima dikirim ke {case.requester_email}."
        ),
        facts=[["Nomor perkara", case.case_number]],
    )


__all__ = ["litmas_page", "router", "start_litmas_run"]
