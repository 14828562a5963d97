"""The pages of the SOP performance view: ``/admin/kinerja`` (Airflow login) and the public survey.

* ``GET /admin/kinerja?periode=2026-11&seksi=bka&pegawai=<nip>``: the figures of a month or a
  quarter, for the office, a section (what a Kasubsi looks at) or one person;
* ``GET /admin/kinerja.pdf?periode=...``: the same as the PDF report;
* ``GET|POST /skm/<token>``: the satisfaction survey behind a personal link, no login, one
  answer per link, Indonesian messages, what was typed kept on an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from bapas_sop.directory import SECTIONS, get_directory
from bapas_sop.forms.links import constant_time_equal, csrf_token
from bapas_sop.forms.registry import get_form
from bapas_sop.kinerja.forms import SKM_FORM
from bapas_sop.store.models import utcnow
from bapas_sop.web.render import render_page

#: How many past months (and their quarters) the period list offers.
PERIOD_CHOICES = 18
TOKEN_MAX = 200
TEXT_PARAM_MAX = 200

_CLOSED = {
    "answered": ("Survei sudah diisi", "Terima kasih, penilaian untuk layanan ini sudah kami terima. "
                                       "Setiap tautan survei hanya dapat dipakai satu kali."),
    "expired": ("Tautan survei sudah kedaluwarsa", "Masa pengisian survei untuk layanan ini sudah berakhir. "
                                                   "Terima kasih atas perhatian Anda."),
    "unknown": ("Tautan survei tidak dikenal", "Tautan ini tidak dikenal. Periksa kembali tautan pada email Anda."),
}


def router(admin: Callable[..., Any]) -> APIRouter:
    routes = APIRouter()

    @routes.get("/admin/kinerja", response_class=HTMLResponse, dependencies=[Depends(admin)])
    def kinerja(
        periode: str = Query("", max_length=TEXT_PARAM_MAX),
        seksi: str = Query("", max_length=TEXT_PARAM_MAX),
        pegawai: str = Query("", max_length=TEXT_PARAM_MAX),
    ) -> Response:
        from bapas_sop.kinerja.report import current_month, kinerja_context

        period, error = _period(periode)
        if error:
            return render_page("message.html", status_code=422, title="Periode tidak dikenal", message=error)
        directory = get_directory()
        section = seksi if seksi in SECTIONS else None
        person = pegawai if pegawai and directory.find(pegawai) else None
        context = kinerja_context(period or current_month(), section=section, person=person)
        people = sorted(directory.active_employees(), key=lambda p: p.name)
        return render_page("admin_kinerja.html", periods=_period_choices(), sections=SECTIONS, people=people,
                           **context)

    @routes.get("/admin/kinerja.pdf", dependencies=[Depends(admin)])
    def kinerja_pdf(periode: str = Query("", max_length=TEXT_PARAM_MAX)) -> Response:
        from bapas_sop.kinerja.report import current_month, report_pdf

        period, error = _period(periode)
        if error:
            return render_page("message.html", status_code=422, title="Periode tidak dikenal", message=error)
        chosen = period or current_month()
        return Response(report_pdf(chosen), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="laporan-kinerja-sop-{chosen.key}.pdf"'})

    @routes.get("/skm/{token}", response_class=HTMLResponse)
    def survey_page(token: str = Path(max_length=TOKEN_MAX)) -> Response:
        from bapas_sop.kinerja.survey import open_link

        link = open_link(token)
        if link.state != "open":
            return _closed(link.state)
        return _survey_form(token, values={}, errors={})

    @routes.post("/skm/{token}", response_class=HTMLResponse)
    async def survey_post(http_request: Request, token: str = Path(max_length=TOKEN_MAX)) -> Response:
        from bapas_sop.kinerja.survey import open_link, record_answer
        from bapas_sop.web.app import read_and_validate

        link = open_link(token)
        if link.state != "open":
            return _closed(link.state)
        form = get_form(SKM_FORM)
        form_data, _raw, validation = await read_and_validate(http_request, form)
        if "_kiriman" in validation.errors:  # a post that could not be read at all: say why, keep the page
            return _survey_form(token, values={}, errors=validation.errors, status_code=422)
        if not constant_time_equal(csrf_token(token), form_data.get("_csrf")):
            return render_page("message.html", status_code=403, title="Formulir tidak dapat diterima",
                               message="Formulir ini tidak berasal dari halaman survei kami. Buka kembali tautan pada email Anda.")
        if not validation.ok:
            return _survey_form(token, values=validation.kept, errors=validation.errors, status_code=422)
        stored = record_answer(token, validation.values, now=utcnow())
        if stored.state != "answered":
            return _closed(stored.state)
        return render_page("message.html", title="Terima kasih",
                           message="Penilaian Anda sudah kami terima. Hasil survei dibaca tanpa nama Anda dan "
                                   "dipakai untuk memperbaiki pelayanan.")

    return routes


def _survey_form(token: str, *, values: dict[str, Any], errors: dict[str, str], status_code: int = 200) -> Response:
    from bapas_sop.web.app import public_form_page

    return public_form_page(get_form(SKM_FORM), action=f"/skm/{token}", values=values, errors=errors,
                            status_code=status_code, hidden={"_csrf": csrf_token(token)})


def _closed(state: str) -> Response:
    title, message = _CLOSED.get(state, _CLOSED["unknown"])
    return render_page("message.html", status_code=200 if state == "answered" else (410 if state == "expired" else 404),
                       title=title, message=message)


def _period(text: str) -> tuple[Any, str | None]:
    from bapas_sop.kinerja.report import parse_period

    if not text:
        return None, None
    try:
        return parse_period(text), None
    except ValueError as exc:
        return None, str(exc)


def _period_choices() -> list[Any]:
    """The last months and quarters, newest first, for the page's period list."""
    from bapas_sop.kinerja.report import current_month, previous_month, quarter_period

    choices = []
    month = current_month()
    seen_quarters: set[str] = set()
    for _ in range(PERIOD_CHOICES):
        choices.append(month)
        quarter = quarter_period(month.start.year, (month.start.month - 1) // 3 + 1)
        if quarter.key not in seen_quarters:
            seen_quarters.add(quarter.key)
            choices.append(quarter)
        month = previous_month(month.start)
    return choices


__all__ = ["router"]
