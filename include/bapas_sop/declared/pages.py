"""The public intake page of every declared SOP: ``/publik/<sop>`` (e.g. ``/bapas/publik/ppid``).

The page anyone on the internet can post to, guarded as Yanpatmas's complaint page is:

* a **honeypot** field (``situs_web``, hidden; people leave it empty, form-filling robots do
  not): such a post gets a thank-you page and nothing is stored;
* a **per-address limit** (the file's ``intake.posts_per_hour``): the form comes back with an
  Indonesian message and what was typed;
* the forms app's limits on every post, autoescaped templates, the server-side validation of the
  form (Indonesian messages, the input kept);
* a **submission key** per page view (signed, two days): a repeated post finds its request
  instead of making two.

What was asked stays in the project's database; the DAG run is started with the request number
only. The requester gets an acknowledgement email with that number.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from bapas_sop.descriptor import WebContext
from bapas_sop.forms.registry import get_form
from bapas_sop.settings import get_settings
from bapas_sop.web.app import public_form_page, read_and_validate
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

HONEYPOT = "situs_web"
SUBMISSION_FIELD = "_submission_key"
SUBMISSION_MAX_AGE_SECONDS = 2 * 24 * 3600
TOO_MANY = ("Terlalu banyak kiriman dari alamat Anda dalam satu jam terakhir. Isian Anda tetap tersimpan di halaman "
            "ini; coba kirim lagi nanti.")
STALE_KEY = ("Kode pengiriman halaman ini tidak sah atau sudah kedaluwarsa. Isian Anda tetap tersimpan; periksa lalu "
             "kirim sekali lagi.")


class PostLimiter:
    """At most ``limit`` posts per address in a sliding hour (kept in this process)."""

    def __init__(self, limit: int, window_seconds: float = 3600.0) -> None:
        self.limit, self.window = limit, window_seconds
        self._posts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str | None) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._posts) > 10_000:  # forget idle addresses rather than grow without bound
                self._posts = {k: v for k, v in self._posts.items() if v and v[-1] > now - self.window}
            posts = self._posts.setdefault(address or "?", deque())
            while posts and posts[0] <= now - self.window:
                posts.popleft()
            if len(posts) >= self.limit:
                return False
            posts.append(now)
            return True


def _serializer(sop_id: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=f"declared-intake-{sop_id}")


def _read_submission_key(sop_id: str, posted: Any) -> str | None:
    try:
        nonce = _serializer(sop_id).loads(posted, max_age=SUBMISSION_MAX_AGE_SECONDS) if isinstance(posted, str) else None
    except BadData:
        return None
    return nonce if isinstance(nonce, str) and nonce else None


def _hidden(sop_id: str, key: str | None = None) -> dict[str, str]:
    return {SUBMISSION_FIELD: key or _serializer(sop_id).dumps(secrets.token_urlsafe(24)), HONEYPOT: ""}


def router(sop_id: str, web: WebContext) -> APIRouter:
    """The intake page of declared SOP ``sop_id``."""
    from bapas_sop.declared import get_declared

    routes = APIRouter()
    path = get_declared(sop_id).public_path
    limiter = PostLimiter(get_declared(sop_id).intake.posts_per_hour)

    @routes.get(path, response_class=HTMLResponse)
    def intake_page() -> Response:
        sop = get_declared(sop_id)
        return public_form_page(get_form(sop.intake.form), action=sop.public_path, values={}, errors={},
                                hidden=_hidden(sop_id))

    @routes.post(path, response_class=HTMLResponse)
    async def intake_post(http_request: Request) -> Response:
        sop = get_declared(sop_id)
        form = get_form(sop.intake.form)
        form_data, _raw, validation = await read_and_validate(http_request, form)
        posted_key = form_data.get(SUBMISSION_FIELD)
        nonce = _read_submission_key(sop_id, posted_key)
        hidden = _hidden(sop_id, posted_key if nonce else None)
        if form_data.get(HONEYPOT):
            log.info("%s: a post filled the honeypot and was dropped", sop_id)
            return render_page("message.html", title="Terima kasih", message="Kiriman Anda sudah kami terima.")
        address = http_request.client.host if http_request.client else None
        if not limiter.allow(address):
            return public_form_page(form, action=sop.public_path, values=validation.kept, errors={"_kiriman": TOO_MANY},
                                    status_code=429, hidden=hidden)
        errors = dict(validation.errors)
        if nonce is None:
            errors[SUBMISSION_FIELD] = STALE_KEY
        if errors:
            return public_form_page(form, action=sop.public_path, values=validation.kept, errors=errors,
                                    status_code=422, hidden=hidden)
        return _register(web, sop, validation.values, nonce)

    return routes


def _register(web: WebContext, sop: Any, values: Any, submission_key: str) -> Response:
    from bapas_sop.declared import flow
    from bapas_sop.mail.outbox import mailing

    request, created = flow.register(sop, values, submission_key=submission_key)
    facts = [["Nomor permohonan", request.number]]
    if not created:
        return render_page("message.html", title="Permohonan sudah tercatat",
                           message=f"Permohonan ini sudah tercatat dengan nomor {request.number}; tidak dibuat dua kali.",
                           facts=facts)
    if sop.intake.acknowledgement:
        with mailing() as batch:
            batch.email(key=f"{sop.id}/{request.number}/tanda_terima", to=request.requester_email,
                        template=sop.intake.acknowledgement, context=flow.context_of(sop, request))
    try:
        web.start_run(sop.id, flow.run_id_for(request.number), {"nomor": request.number})
    except Exception:  # noqa: BLE001 - the request is stored; an admin can start its run with the number
        log.exception("could not start the run of %s now", request.number)
    return render_page(
        "message.html", title="Permohonan diterima",
        message=(f"Terima kasih. Permohonan Anda tercatat dengan nomor {request.number}. Tanda terima dikirim ke "
                 f"{request.requester_email}; jawaban juga dikirim ke alamat itu."),
        facts=[*facts, ["Diterima", flow.context_of(sop, request)["diterima"]]],
    )


class _Routers:
    """``routers.<sop_id>``: the router function of one declared SOP (what its descriptor names)."""

    def __getattr__(self, sop_id: str) -> Any:
        if sop_id.startswith("_"):
            raise AttributeError(sop_id)
        return partial(router, sop_id)


routers = _Routers()

__all__ = ["PostLimiter", "router", "routers"]
