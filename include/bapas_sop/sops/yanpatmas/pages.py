"""Yanpatmas's pages: the public complaint page, the public status page, ULP's intake of
complaints from other channels, and the admin list of open complaints.

The complaint and status pages are the only pages anyone on the internet can post to:

* a **honeypot** field (``situs_web``, hidden; people leave it empty, form-filling robots do
  not): such a post gets a thank-you page and nothing is stored;
* a **per-address limit** (:class:`PostLimiter`, ``[yanpatmas] kiriman_per_jam`` posts per
  hour, complaint and status pages counted apart, so a code cannot be guessed by trying):
  the form comes back with an Indonesian message and what was typed;
* the shared limits of every form (characters per field, parts, sizes) and escaping of all
  text by the templates' autoescape;
* a **submission key** per page view, so a repeated post finds its ticket instead of making two.

The admin list shows tickets, stages and deadlines only: an Airflow login does not open a
complaint's contents or its complainant's identity.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from bapas_sop.calendar import to_wib
from bapas_sop.descriptor import WebContext
from bapas_sop.forms.registry import get_form
from bapas_sop.settings import get_settings
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id
from bapas_sop.web.app import public_form_page, read_and_validate
from bapas_sop.web.csrf import admin_csrf_ok, admin_csrf_refused, admin_form_fields, remember_admin_csrf
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

PUBLIC_PATH = "/yanpatmas/pengaduan"
STAFF_PATH = "/yanpatmas/pengaduan-masuk"
STATUS_PATH = "/yanpatmas/status"
RATING_PATH = "/yanpatmas/status/nilai"
HONEYPOT = "situs_web"
SUBMISSION_FIELD = "_submission_key"
_SUBMISSION_SALT = "yanpatmas-pengaduan"
SUBMISSION_MAX_AGE_SECONDS = 2 * 24 * 3600

TOO_MANY = ("Terlalu banyak kiriman dari alamat Anda dalam satu jam terakhir. Isian Anda tetap tersimpan di halaman "
            "ini; coba kirim lagi nanti.")


class PostLimiter:
    """At most ``limit`` posts per address and page in a sliding hour (kept in this process)."""

    def __init__(self, limit: int, window_seconds: float = 3600.0) -> None:
        self.limit, self.window = limit, window_seconds
        self._posts: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, page: str, address: str | None) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._posts) > 10_000:  # forget idle addresses rather than grow without bound
                self._posts = {k: v for k, v in self._posts.items() if v and v[-1] > now - self.window}
            posts = self._posts.setdefault((page, address or "?"), deque())
            while posts and posts[0] <= now - self.window:
                posts.popleft()
            if len(posts) >= self.limit:
                return False
            posts.append(now)
            return True


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SUBMISSION_SALT)


def _read_submission_key(posted: Any) -> str | None:
    try:
        nonce = _serializer().loads(posted, max_age=SUBMISSION_MAX_AGE_SECONDS) if isinstance(posted, str) else None
    except BadData:
        return None
    return nonce if isinstance(nonce, str) and nonce else None


def _public_hidden(key: str | None = None) -> dict[str, str]:
    return {SUBMISSION_FIELD: key or _serializer().dumps(secrets.token_urlsafe(24)), HONEYPOT: ""}


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


def router(web: WebContext) -> APIRouter:
    routes = APIRouter()
    limiter = PostLimiter(int(get_settings().config.get("yanpatmas", {}).get("kiriman_per_jam", 10)))

    @routes.get(PUBLIC_PATH, response_class=HTMLResponse)
    def complaint_page() -> Response:
        return public_form_page(get_form("yanpatmas_pengaduan"), action=PUBLIC_PATH, values={}, errors={},
                                hidden=_public_hidden())

    @routes.post(PUBLIC_PATH, response_class=HTMLResponse)
    async def complaint_post(http_request: Request) -> Response:
        form = get_form("yanpatmas_pengaduan")
        form_data, _raw, validation = await read_and_validate(http_request, form)
        posted_key = form_data.get(SUBMISSION_FIELD)
        nonce = _read_submission_key(posted_key)
        hidden = _public_hidden(posted_key if nonce else None)
        if form_data.get(HONEYPOT):
            log.info("yanpatmas: a post filled the honeypot and was dropped")
            return _thanks()
        if not limiter.allow("pengaduan", _address(http_request)):
            return public_form_page(form, action=PUBLIC_PATH, values=validation.kept, errors={"_kiriman": TOO_MANY},
                                    status_code=429, hidden=hidden)
        errors = dict(validation.errors)
        if nonce is None:
            errors[SUBMISSION_FIELD] = ("Kode pengiriman halaman ini tidak sah atau sudah kedaluwarsa. Isian Anda tetap "
                                        "tersimpan; periksa lalu kirim sekali lagi.")
        if errors:
            return public_form_page(form, action=PUBLIC_PATH, values=validation.kept, errors=errors, status_code=422,
                                    hidden=hidden)
        return _register(web, validation.values, channel="web", actor="pelapor", submission_key=nonce)

    @routes.get(STAFF_PATH, response_class=HTMLResponse)
    def staff_page(http_request: Request, user: Any = Depends(web.admin)) -> Response:
        remember_admin_csrf(http_request, user)
        return public_form_page(get_form("yanpatmas_pengaduan_masuk"), action=STAFF_PATH, values={}, errors={},
                                hidden=admin_form_fields(http_request))

    @routes.post(STAFF_PATH, response_class=HTMLResponse)
    async def staff_post(http_request: Request, user: Any = Depends(web.admin)) -> Response:
        if not await admin_csrf_ok(http_request, user):
            return admin_csrf_refused()
        remember_admin_csrf(http_request, user)
        form = get_form("yanpatmas_pengaduan_masuk")
        _form_data, _raw, validation = await read_and_validate(http_request, form)
        if not validation.ok:
            return public_form_page(form, action=STAFF_PATH, values=validation.kept, errors=validation.errors,
                                    status_code=422, hidden=admin_form_fields(http_request))
        return _register(web, validation.values, channel=str(validation.values["saluran"]), actor=str(user))

    @routes.get(STATUS_PATH, response_class=HTMLResponse)
    def status_page() -> Response:
        return public_form_page(get_form("yanpatmas_status"), action=STATUS_PATH, values={}, errors={},
                                hidden={HONEYPOT: ""})

    @routes.post(STATUS_PATH, response_class=HTMLResponse)
    async def status_post(http_request: Request) -> Response:
        found = await _lookup(http_request, limiter)
        if isinstance(found, Response):
            return found
        complaint, _code = found
        return status_view(complaint)

    @routes.post(RATING_PATH, response_class=HTMLResponse)
    async def rating_post(http_request: Request) -> Response:
        from bapas_sop.sops.yanpatmas import rules, service

        found = await _lookup(http_request, limiter)
        if isinstance(found, Response):
            return found
        complaint, code = found
        form = get_form("yanpatmas_penilaian")
        _form_data, _raw, validation = await read_and_validate(http_request, form)
        if complaint.stage != rules.Stage.CLOSED or complaint.rating is not None:
            return status_view(complaint)
        if not validation.ok:
            return status_view(complaint, code=code, rating_errors=validation.errors, status_code=422)
        complaint = service.update(complaint.ticket, by="pelapor", action="yanpatmas_rated", rating=validation.values["nilai"])
        return status_view(complaint, rated=True)

    @routes.get("/admin/yanpatmas", response_class=HTMLResponse, dependencies=[Depends(web.admin)])
    def admin_list() -> Response:
        return complaints_page()

    return routes


def _thanks() -> Response:
    return render_page("message.html", title="Terima kasih", message="Kiriman Anda sudah kami terima.")


async def _lookup(http_request: Request, limiter: PostLimiter) -> tuple[Any, str] | Response:
    """The complaint of a posted ticket and code, or the status form again with the reason."""
    from bapas_sop.sops.yanpatmas import service

    form = get_form("yanpatmas_status")
    form_data, _raw, validation = await read_and_validate(http_request, form)
    if form_data.get(HONEYPOT):
        return _thanks()

    def again(errors: Mapping[str, str], status_code: int) -> Response:
        return public_form_page(form, action=STATUS_PATH, values=validation.kept, errors=errors, status_code=status_code,
                                hidden={HONEYPOT: ""})

    if not limiter.allow("status", _address(http_request)):
        return again({"_kiriman": TOO_MANY}, 429)
    if not validation.ok:
        return again(validation.errors, 422)
    code = str(validation.values["kode"])
    complaint = service.find_by_code(str(validation.values["tiket"]), code)
    if complaint is None:
        return again({"kode": "Nomor tiket atau kode pelacakan tidak cocok. Periksa kembali tanda terima Anda."}, 404)
    return complaint, code


def status_view(complaint: Any, *, code: str | None = None, rating_errors: Mapping[str, str] | None = None,
                rated: bool = False, status_code: int = 200) -> Response:
    """Where a complaint stands, in plain words; a link to supplement it while that is asked;
    the rating form once it is closed."""
    from bapas_sop import humantask
    from bapas_sop.sops.yanpatmas import rules, service

    supplement_url = None
    if complaint.stage == rules.Stage.INCOMPLETE and complaint.run_id:
        from sqlalchemy import select

        from bapas_sop.store.db import session_scope
        from bapas_sop.store.models import FormRequest

        with session_scope() as session:
            request = session.scalar(select(FormRequest).where(
                FormRequest.key == humantask.request_key(complaint.dag_id or service.DAG_ID, complaint.run_id, "melengkapi_laporan"),
                FormRequest.status == humantask.OPEN))
            supplement_url = humantask.personal_url(request) if request is not None else None
    rows = [["Nomor tiket", complaint.ticket], ["Diterima", format_datetime_id(complaint.received_at)],
            ["Batas tanggapan pertama", format_datetime_id(complaint.first_answer_due)]]
    if complaint.resolution_due:
        rows.append(["Batas penyelesaian", format_datetime_id(complaint.resolution_due)])
    if complaint.closed_at:
        rows.append(["Ditutup", format_datetime_id(complaint.closed_at)])
    rating_form = None
    if complaint.stage == rules.Stage.CLOSED and complaint.rating is None and code:
        rating_form = get_form("yanpatmas_penilaian")
    return render_page(
        "yanpatmas/status.html", status_code=status_code, title=f"Status pengaduan {complaint.ticket}",
        status=rules.public_status(complaint.stage), facts=rows, supplement_url=supplement_url,
        rating_form=rating_form, rating_errors=rating_errors or {}, rated=rated or complaint.rating is not None,
        ticket=complaint.ticket, code=code, action=RATING_PATH,
    )


def _register(web: WebContext, values: Mapping[str, Any], *, channel: str, actor: str,
              submission_key: str | None = None) -> Response:
    from bapas_sop.sops.yanpatmas import service

    complaint, code, created = service.register(values, channel=channel, actor=actor, submission_key=submission_key)
    if not created:
        return render_page("message.html", title="Pengaduan sudah tercatat",
                           message=(f"Pengaduan ini sudah tercatat dengan nomor tiket {complaint.ticket}. Kode pelacakan "
                                    "ditampilkan saat pertama kali dikirim dan dikirim ke email Anda bila diisi."),
                           facts=[["Nomor tiket", complaint.ticket]])
    emailed = _acknowledge(complaint, code or "")
    try:
        web.start_run(service.DAG_ID, service.run_id_for(complaint.ticket), {"nomor_tiket": complaint.ticket})
    except Exception:  # noqa: BLE001 - the complaint is stored; yanpatmas_pemantauan starts its run later
        log.exception("could not start the run of %s now", complaint.ticket)
    return render_page("yanpatmas/diterima.html", title="Pengaduan diterima", ticket=complaint.ticket, code=code,
                       emailed=emailed, staff=channel != "web", status_path=STATUS_PATH)


def _acknowledge(complaint: Any, code: str) -> bool:
    """The acknowledgement (ticket and tracking code) to the complainant's email, if they gave one;
    sent once committed (a mail server down leaves it queued for ``langkah_manusia``)."""
    from bapas_sop.mail.outbox import mailing
    from bapas_sop.sops.yanpatmas import service

    who = service.identity_of(complaint)
    if not who["email"]:
        return False
    key = f"yanpatmas/{complaint.ticket}/tanda_terima"
    with mailing() as batch:
        batch.email(key=key, to=who["email"], template="yanpatmas/tanda_terima",
                    context={"name": who["nama"], "ticket": complaint.ticket, "code": code,
                             "status_url": f"{get_settings().public_url}{STATUS_PATH}",
                             "received": format_datetime_id(complaint.received_at)})
    return True


def complaints_page(now: datetime | None = None) -> Response:
    """Every open complaint: ticket, channel, stage, next deadline, time left; overdue first.
    No contents and no identity: this page is behind an Airflow login, not ULP's."""
    from bapas_sop.sops.yanpatmas import monitor

    now = to_wib(now or utcnow())
    rows = monitor.open_rows(now)
    return render_page("yanpatmas/pengaduan.html", title="Pengaduan (Yanpatmas)", rows=rows,
                       overdue=sum(1 for r in rows if r["overdue"]), generated=format_datetime_id(now))


__all__ = ["PostLimiter", "complaints_page", "router", "status_view"]
