"""Pasjam School's own pages: the students' public quiz and its QR code, and the admin page.

The quiz is public (no login, phone first): one link per session, ``/pasjam-school/kuis/<code>``,
the code a random value made when the schedule is sent. Anyone with the link answers; no name
is asked. Each view of the page carries a signed, timed submission key (the pattern of SP2LO's
public intake form): the key is stored with the answer, so a repeated post of the same page (a
double tap, a resend) is kept once; a post cannot invent keys; the core's size limits refuse an
oversized post before anything is stored. The quiz takes answers from the schedule until the
evaluation closes it.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from bapas_sop.descriptor import WebContext
from bapas_sop.forms.registry import get_form
from bapas_sop.settings import get_settings
from bapas_sop.web.app import public_form_page, read_and_validate
from bapas_sop.web.render import render_page

QUIZ_FORM = "pasjam_school_kuis"
SUBMISSION_FIELD = "_submission_key"
SUBMISSION_MAX_AGE_SECONDS = 2 * 24 * 3600
_SALT = "pasjam-school-quiz-submission"
CODE = Path(..., min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def new_submission_key(code: str) -> str:
    """A signed random key for one view of the quiz page of session ``code``."""
    return _serializer().dumps([code, secrets.token_urlsafe(24)])


def read_submission_key(code: str, posted: Any) -> tuple[str | None, str | None]:
    """The random part of a posted key for this session, or None and the Indonesian reason."""
    try:
        session_code, nonce = _serializer().loads(posted, max_age=SUBMISSION_MAX_AGE_SECONDS)
    except (BadData, TypeError, ValueError):
        return None, ("Kode pengiriman kuis ini tidak sah atau sudah kedaluwarsa. Jawaban Anda tetap tersimpan di "
                      "halaman ini; periksa lalu kirim sekali lagi.")
    if session_code != code or not isinstance(nonce, str) or not nonce:
        return None, "Kode pengiriman kuis ini bukan untuk sesi ini. Buka lagi tautan kuis dari kode QR."
    return nonce, None


def _closed(visit: Any) -> Response:
    if visit is None:
        return render_page("message.html", status_code=404, title="Kuis tidak ditemukan",
                           message="Tautan kuis ini tidak dikenal. Pindai lagi kode QR yang ditampilkan tim Bapas.")
    return render_page("message.html", status_code=410, title="Kuis sudah ditutup",
                       message="Kuis penyuluhan ini sudah ditutup. Terima kasih atas partisipasi Anda.")


def admin_page() -> HTMLResponse:
    """The latest ranking with each factor's contribution, and every visit so far."""
    from bapas_sop.sops.pasjam_school.history import admin_context

    return render_page("pasjam_school/admin.html", title="Pasjam School", **admin_context())


def router(web: WebContext) -> APIRouter:
    routes = APIRouter()

    @routes.get("/pasjam-school/kuis/{code}", response_class=HTMLResponse)
    def quiz_page(code: str = CODE) -> Response:
        from bapas_sop.sops.pasjam_school.flow import quiz_is_open

        visit, is_open = quiz_is_open(code)
        if not is_open:
            return _closed(visit)
        return public_form_page(get_form(QUIZ_FORM), action=f"/pasjam-school/kuis/{code}", values={}, errors={},
                                hidden={SUBMISSION_FIELD: new_submission_key(code)})

    @routes.post("/pasjam-school/kuis/{code}", response_class=HTMLResponse)
    async def quiz_post(http_request: Request, code: str = CODE) -> Response:
        from bapas_sop.sops.pasjam_school.flow import quiz_is_open, record_quiz

        visit, is_open = quiz_is_open(code)
        if not is_open:
            return _closed(visit)
        form = get_form(QUIZ_FORM)
        form_data, _raw, validation = await read_and_validate(http_request, form)
        posted_key = form_data.get(SUBMISSION_FIELD)
        nonce, key_error = read_submission_key(code, posted_key)
        if not validation.ok or key_error:
            errors = {**validation.errors, **({SUBMISSION_FIELD: key_error} if key_error else {})}
            hidden = {SUBMISSION_FIELD: posted_key if nonce else new_submission_key(code)}
            return public_form_page(form, action=f"/pasjam-school/kuis/{code}", values=validation.kept,
                                    errors=errors, status_code=422, hidden=hidden)
        score, stored = record_quiz(code, validation.values, nonce)
        return render_page(
            "message.html", title="Jawaban kuis diterima",
            message=(f"Terima kasih! Nilai Anda {score:.0f} dari 100."
                     if stored else "Jawaban dari halaman ini sudah diterima sebelumnya; tidak disimpan dua kali."),
            link=f"{get_settings().public_url}/pasjam-school/kuis/{code}", link_label="Isi kuis lagi (tahap berikutnya)",
        )

    @routes.get("/pasjam-school/kuis/{code}/qr", response_class=HTMLResponse)
    def quiz_qr(code: str = CODE) -> Response:
        import segno

        from bapas_sop.sops.pasjam_school.flow import quiz_is_open, quiz_url

        visit, is_open = quiz_is_open(code)
        if not is_open:
            return _closed(visit)
        url = quiz_url(code)
        return render_page("pasjam_school/qr.html", title="Kuis penyuluhan hukum", url=url,
                           qr=segno.make(url, error="m").svg_data_uri(scale=10, border=2))

    @routes.get("/admin/pasjam-school", response_class=HTMLResponse, dependencies=[Depends(web.admin)])
    def admin() -> Response:
        return admin_page()

    return routes


__all__ = ["admin_page", "new_submission_key", "read_submission_key", "router"]
