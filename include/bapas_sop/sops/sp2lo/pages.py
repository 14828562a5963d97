"""SP2LO's own pages: the public Litmas request form, the letter typed in by staff, and the
Litmas monitor for admins (every open Litmas, its stage, PK, deadline, time left).

:func:`router` is what the SOP's descriptor names; the web app mounts it at its root.
:func:`litmas_page` builds the monitor alone, so that it can be rendered and tested without the app.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from bapas_sop.calendar import to_wib
from bapas_sop.descriptor import WebContext
from bapas_sop.forms.registry import get_form
from bapas_sop.settings import get_settings
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id
from bapas_sop.web.app import public_form_page, raw_values, read_and_validate
from bapas_sop.web.csrf import admin_csrf_ok, admin_csrf_refused, admin_form_fields, remember_admin_csrf
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

#: The public form of a request and the letter typed in by staff: form name, channel, path.
INTAKE = {"formulir": ("sp2lo_permohonan", "/litmas/permohonan"), "surat": ("sp2lo_surat_masuk", "/litmas/surat-masuk")}

#: The hidden field of the public intake form that names one filled-in page (see :func:`new_submission_key`).
SUBMISSION_FIELD = "_submission_key"
#: How long a page of the intake form may stay open before its key is refused (a fresh one is given).
SUBMISSION_MAX_AGE_SECONDS = 7 * 24 * 3600
_SUBMISSION_SALT = "sp2lo-intake-submission"


def _submission_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SUBMISSION_SALT)


def new_submission_key() -> str:
    """A signed random key for one view of the intake form.

    The case stores the random part (unique), so a repeated or concurrent post of the same page
    (a double click, a resend, a retry) finds the case it registered instead of making a second
    one with its own statutory clock. Signed, so that a post cannot invent keys at will; timed,
    so that a page left open for weeks gets a fresh one.
    """
    return _submission_serializer().dumps(secrets.token_urlsafe(24))


def read_submission_key(posted: Any) -> tuple[str | None, str | None]:
    """The random part of a posted key, or ``None`` and the Indonesian reason it is refused."""
    if not isinstance(posted, str) or not posted:
        return None, ("Formulir ini tidak membawa kode pengiriman yang sah. Isian Anda tetap tersimpan; "
                      "periksa lalu kirim sekali lagi.")
    try:
        nonce = _submission_serializer().loads(posted, max_age=SUBMISSION_MAX_AGE_SECONDS)
    except BadData:
        return None, ("Kode pengiriman formulir ini tidak sah atau sudah kedaluwarsa. Isian Anda tetap tersimpan; "
                      "periksa lalu kirim sekali lagi.")
    if not isinstance(nonce, str) or not nonce:
        return None, "Kode pengiriman formulir ini tidak sah. Isian Anda tetap tersimpan; periksa lalu kirim sekali lagi."
    return nonce, None


def litmas_page(now: datetime | None = None) -> HTMLResponse:
    """Render ``sp2lo/litmas.html`` as of ``now`` (default: the current time), most
    urgent Litmas first, with the counts an admin looks at first: open, overdue, near the end."""
    from bapas_sop.sops.sp2lo.monitor import invalid_cases, monitor_counts, monitor_rows, reminder_fractions

    now = to_wib(now or utcnow())
    rows = monitor_rows(now)
    fractions = reminder_fractions()
    return render_page(
        "sp2lo/litmas.html",
        title="Pemantauan Litmas (SP2LO)",
        rows=rows,
        counts=monitor_counts(rows),
        invalid=invalid_cases(now),
        warn_percent=round((fractions[-1] if fractions else 0.8) * 100),
        generated=format_datetime_id(now),
    )


def start_litmas_run(web: WebContext, case_number: str) -> Any:
    """The SP2LO run of a registered case; its run id names the case, so a repeat is refused."""
    from bapas_sop.sops.sp2lo.intake import run_for

    return web.start_run(*run_for(case_number))


def router(web: WebContext) -> APIRouter:
    routes = APIRouter()

    @routes.get("/litmas/permohonan", response_class=HTMLResponse)
    def intake_page() -> Response:
        return public_form_page(get_form("sp2lo_permohonan"), action="/litmas/permohonan", values={}, errors={},
                                hidden={SUBMISSION_FIELD: new_submission_key()})

    @routes.post("/litmas/permohonan", response_class=HTMLResponse)
    async def intake_post(http_request: Request, background: BackgroundTasks) -> Response:
        return await _register(web, http_request, "formulir")

    @routes.get("/litmas/surat-masuk", response_class=HTMLResponse)
    def letter_page(http_request: Request, user: Any = Depends(web.admin)) -> Response:
        remember_admin_csrf(http_request, user)
        return public_form_page(get_form("sp2lo_surat_masuk"), action="/litmas/surat-masuk", values={}, errors={},
                                hidden=admin_form_fields(http_request))

    @routes.post("/litmas/surat-masuk", response_class=HTMLResponse)
    async def letter_post(http_request: Request, background: BackgroundTasks, user: Any = Depends(web.admin)) -> Response:
        # The login cookie comes with any site's post: the form's own token shows it came from our page.
        if not await admin_csrf_ok(http_request, user):
            return admin_csrf_refused()
        remember_admin_csrf(http_request, user)
        return await _register(web, http_request, "surat")

    @routes.get("/admin/litmas", response_class=HTMLResponse, dependencies=[Depends(web.admin)])
    def litmas() -> Response:
        return litmas_page()

    return routes


async def _register(web: WebContext, http_request: Request, channel: str) -> Response:
    from bapas_sop.sops.sp2lo import service

    form_name, path = INTAKE[channel]
    form = get_form(form_name)
    form_data, raw, validation = await read_and_validate(http_request, form)
    action = path  # the page shown again posts to the same place (the template prefixes /bapas)
    # The public form carries a submission key; the letter typed by staff has none.
    keyed = channel == "formulir"
    posted_key = form_data.get(SUBMISSION_FIELD) if keyed else None
    nonce, key_error = read_submission_key(posted_key) if keyed else (None, None)
    if not validation.ok or key_error:
        errors = {**validation.errors, **({SUBMISSION_FIELD: key_error} if key_error else {})}
        # A valid key is sent back as it came, so that the corrected page is still the same submission.
        hidden = {SUBMISSION_FIELD: posted_key if nonce else new_submission_key()} if keyed else admin_form_fields(http_request)
        return public_form_page(form, action=action, values=validation.kept,
                                errors=errors, status_code=422, hidden=hidden)
    actor = str(raw.get("email_pemohon") or channel)
    if nonce is not None:
        case, created = service.register_submission(validation.values, submission_key=nonce, channel=channel, actor=actor)
    else:
        case, created = service.register_request(validation.values, channel=channel, actor=actor), True
    if created:  # a repeat of the same submission shows its case; its run was started by the first post
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
