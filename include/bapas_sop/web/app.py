"""The forms web app: staff and outside people answer their steps here, admins watch.

Mounted by the plugin inside Airflow's API server at ``/bapas``. Form pages are public: the
signed link is the credential (staff have no Airflow account). Admin pages (inbox, Litmas
monitor, open steps, audit) need an Airflow login and use Airflow's own ``get_user``.

Pages are server-rendered and need no JavaScript: they must work on a cheap phone over a
weak connection, and nothing is loaded from outside the server.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field as dataclass_field
from typing import Any
from urllib.parse import quote, urlparse

from fastapi import BackgroundTasks, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from bapas_sop import humantask
from bapas_sop.directory import get_directory
from bapas_sop.forms.links import LinkError, csrf_ok, csrf_token
from bapas_sop.forms.registry import get_form
from bapas_sop.forms.spec import FormSpec, Kind, Validation
from bapas_sop.settings import get_settings
from bapas_sop.store.db import session_scope
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

LINK_ERROR_STATUS = {"expired": 410, "invalid": 403, "handed_over": 410, "wrong_person": 403, "closed": 410}

#: Characters a field takes when its spec states no ``max_length``: more than any real answer,
#: little enough to store, mail and print. Stated on the form (``maxlength`` and the help line).
DEFAULT_MAX_CHARS = {Kind.LONG_TEXT: 5000, Kind.URL: 2000, Kind.FILE_LINK: 2000}
DEFAULT_TEXT_MAX_CHARS = 500
#: Above this a multipart part is not read at all (nobody uploads files here: links are typed);
#: below it an over-long field is read, refused with its limit and shown back truncated.
MAX_PART_BYTES = 8 * 1024 * 1024
#: What a form post may name: the hand-over's reason is free text too.
HANDOVER_REASON_MAX_CHARS = 500

#: Indonesian pages for the HTTP errors the framework raises itself (unknown page, wrong method).
HTTP_ERROR_PAGES = {
    400: ("Permintaan tidak dapat dibaca", "Kiriman ini tidak dapat dibaca oleh server. Buka lagi halamannya lalu kirim ulang."),
    404: ("Halaman tidak ditemukan", "Halaman yang Anda buka tidak ada. Periksa alamatnya, atau buka lagi tautan dari email Anda."),
    405: ("Cara membuka halaman tidak sah", "Halaman ini tidak dapat dibuka dengan cara itu. Buka lagi tautan dari email Anda."),
    413: ("Kiriman terlalu besar", "Kiriman ini terlalu besar untuk diterima. Persingkat isian Anda lalu kirim ulang."),
}


def create_app(
    *,
    admin_dependency: Callable[..., Any] | None = None,
    deliver: Callable[[list[str]], Any] | None = None,
    start_run: Callable[[str, str, dict[str, Any]], Any] | None = None,
    resume_step: Callable[[int], Any] | None = None,
) -> FastAPI:
    """Build the app. Tests inject the admin check, mail delivery and DAG triggering.

    :param admin_dependency: a FastAPI dependency that returns the logged-in admin or raises;
        Airflow's ``get_user`` by default.
    :param deliver: sends queued outbox keys now (default: flush through the SMTP connection);
        a failure leaves them queued for the sweep.
    :param start_run: starts a DAG run, ``start_run(dag_id, run_id, conf)`` (an SOP's public
        form starts its run this way; default: Airflow's ``trigger_dag``).
    :param resume_step: resumes the task parked on a request right after its answer is stored,
        ``resume_step(request_id)`` (default: :func:`bapas_sop.airflow.resume.resume_request`,
        through Airflow's metadata database, which the API server shares).
    """
    app = FastAPI(title="Bapas SOP", docs_url=None, redoc_url=None, openapi_url=None)
    admin = admin_dependency or airflow_admin
    deliver = deliver or deliver_now
    start_run = start_run or trigger_run
    resume_step = resume_step or _resume_request
    # A forged Host header never reaches a page: links and redirects use the public URL only.
    app.add_middleware(IndonesianTrustedHostMiddleware, allowed_hosts=trusted_hosts())

    @app.exception_handler(AdminLoginRequired)
    async def _login_required(request: Request, exc: AdminLoginRequired) -> Response:
        return render_page(
            "message.html",
            status_code=401,
            title="Perlu masuk",
            message="Halaman ini khusus admin. Silakan masuk ke Airflow terlebih dahulu, lalu buka lagi halaman ini.",
            link=f"/auth/login/?next={quote(public_link(request))}",
            link_label="Masuk ke Airflow",
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        """A query value out of bounds (``?batas=-99999999999999999999``): an Indonesian page, not
        FastAPI's English JSON."""
        names = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
        return render_page(
            "message.html", status_code=422, title="Alamat halaman tidak sah",
            message=(f"Nilai {', '.join(f'«{n}»' for n in names) or 'pada alamat'} tidak dapat digunakan. "
                     "Periksa alamat halaman ini, atau buka lagi halamannya dari menu atau dari email Anda."),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title, message = HTTP_ERROR_PAGES.get(
            exc.status_code, ("Permintaan tidak dapat dilayani", "Permintaan ini tidak dapat dilayani. Buka lagi halamannya dari menu atau dari email Anda.")
        )
        response = render_page("message.html", status_code=exc.status_code, title=title, message=message)
        for name, value in (exc.headers or {}).items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> Response:
        """The last resort: still an Indonesian page that says what to do (the error is logged
        by the server, which re-raises it after this page is sent)."""
        return server_error_page()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # --- staff and outside people: one form per signed link ---------------------------

    @app.get("/f/{token}", response_class=HTMLResponse)
    def show_form(token: str, tersimpan: int = Query(0, ge=0, le=1), sudah: int = Query(0, ge=0, le=1)) -> Response:
        with session_scope() as session:
            try:
                linked = humantask.open_link(session, token)
            except LinkError as exc:
                return _link_error(exc)
            request = linked.request
            if request.status == humantask.ANSWERED:
                return _answered_page(
                    linked.form, request, just_saved=bool(tersimpan) and not sudah, not_saved=bool(sudah),
                )
            if request.status != humantask.OPEN:
                return _link_error(LinkError("closed", "Langkah ini sudah ditutup karena batas waktunya telah lewat."))
            values = _prefill_values(linked.form, request.prefill)
            return _form_page(linked.form, request, token, values=values, errors={})

    @app.post("/f/{token}", response_class=HTMLResponse)
    async def post_form(token: str, http_request: Request, background: BackgroundTasks) -> Response:
        form_data = await read_form_data(http_request)
        if form_data is None:
            return _unreadable_post(token)
        if not csrf_ok(token, form_data.get("_csrf")):
            return render_page(
                "message.html", status_code=403, title="Formulir tidak sah",
                message="Formulir ini tidak dikirim dari halaman yang benar. Buka kembali tautan dari email Anda.",
            )
        with session_scope() as session:
            try:
                linked = humantask.open_link(session, token)
            except LinkError as exc:
                return _link_error(exc)
            posted = check_input(form_data, linked.form)
            if posted.errors and linked.request.status == humantask.OPEN:
                # A file where text is asked, or more than the stated limit: refused before
                # anything is stored, with what was typed shown back (cut to the limit).
                validation = linked.form.validate(posted.raw, linked.request.context)
                return _form_page(
                    linked.form, linked.request, token, values={**validation.kept, **posted.kept},
                    errors={**validation.errors, **posted.errors}, status_code=422,
                )
        try:
            result = humantask.submit(token, posted.raw, remote_addr=_client(http_request))
        except LinkError as exc:
            return _link_error(exc)
        if result.status == "invalid":
            assert result.validation is not None
            return _form_page(
                get_form(result.request.form_name), result.request, token,
                values=result.validation.kept, errors=result.validation.errors, status_code=422,
            )
        if result.status == "closed":
            return _link_error(LinkError("closed", "Langkah ini sudah ditutup karena batas waktunya telah lewat."))
        if result.status == "saved":
            # The waiting task goes on now, after the person has their confirmation page; if this
            # fails (or the server stops first), the reconciler resumes it from the stored wake-up.
            background.add_task(resume_step, result.request.id)
        # Post/redirect/get: a reload of the confirmation does not post again. Someone whose
        # answer came second (another tab, a colleague's click) is told that theirs was not kept.
        outcome = "sudah=1" if result.status == "already" else "tersimpan=1"
        return RedirectResponse(f"{base_path()}/f/{token}?{outcome}", status_code=303)

    @app.post("/f/{token}/alihkan", response_class=HTMLResponse)
    async def hand_over(token: str, http_request: Request, background: BackgroundTasks) -> Response:
        form_data = await read_form_data(http_request)
        if form_data is None:
            return _unreadable_post(token)
        if not csrf_ok(token, form_data.get("_csrf")):
            return render_page("message.html", status_code=403, title="Formulir tidak sah",
                               message="Buka kembali tautan dari email Anda.")
        to_nip = _text(form_data.get("pengganti_nip"))
        reason = _text(form_data.get("alasan"))
        try:
            if len(reason) > HANDOVER_REASON_MAX_CHARS or len(to_nip) > DEFAULT_TEXT_MAX_CHARS:
                raise humantask.HandOverError(
                    f"Alasan pengalihan terlalu panjang ({len(reason)} karakter, paling banyak {HANDOVER_REASON_MAX_CHARS})."
                )
            request, keys = humantask.hand_over(token, to_nip, reason)
        except LinkError as exc:
            return _link_error(exc)
        except humantask.HandOverError as exc:
            to_nip, reason = to_nip[:DEFAULT_TEXT_MAX_CHARS], reason[:HANDOVER_REASON_MAX_CHARS]
            with session_scope() as session:
                try:
                    linked = humantask.open_link(session, token)
                except LinkError as link_error:
                    return _link_error(link_error)
                return _form_page(
                    linked.form, linked.request, token,
                    values=_prefill_values(linked.form, linked.request.prefill), errors={},
                    handover_error=str(exc), handover_values={"pengganti_nip": to_nip, "alasan": reason},
                    status_code=422,
                )
        background.add_task(deliver, keys)
        return render_page(
            "message.html", title="Tugas dialihkan",
            message=f"Tugas ini sudah dialihkan kepada {request.assignee_name}. "
            "Beliau menerima email berisi tautan formulir. Terima kasih.",
        )

    # --- each SOP's own pages (public intake forms, admin monitors) -------------------

    from bapas_sop.descriptor import WebContext, discover, load

    web_context = WebContext(admin=admin, deliver=deliver, start_run=start_run)
    for sop in discover():
        if sop.router:
            app.include_router(load(sop.router)(web_context))

    # --- admins -------------------------------------------------------------------------

    from bapas_sop.kinerja import pages as kinerja_pages
    from bapas_sop.web import admin_pages

    app.include_router(admin_pages.router(admin), prefix="/admin")
    # The performance view of every SOP (admin) and the public satisfaction survey.
    app.include_router(kinerja_pages.router(admin))
    return app


# --- helpers -----------------------------------------------------------------------------


class AdminLoginRequired(Exception):
    """Raised by the admin check when nobody is logged in to Airflow."""


async def airflow_admin(request: Request) -> Any:
    """Airflow's own login check (JWT cookie or bearer token), turned into a friendly page."""
    from airflow.api_fastapi.core_api.security import get_user

    authorization = request.headers.get("authorization", "")
    from fastapi.security import HTTPAuthorizationCredentials

    credentials = None
    if authorization.lower().startswith("bearer "):
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=authorization[7:])
    try:
        return await get_user(request, None, credentials)
    except HTTPException as exc:
        raise AdminLoginRequired() from exc


def deliver_now(keys: list[str]) -> None:
    """Send queued emails now; on failure they stay queued and the sweep DAG retries them."""
    from bapas_sop.mail.connection import smtp_settings
    from bapas_sop.mail.outbox import flush

    try:
        flush(smtp_settings(), keys=keys)
    except Exception:  # noqa: BLE001 - never lose the page over mail; the row stays queued
        import logging

        logging.getLogger(__name__).exception("email delivery deferred to the sweep")


def trigger_run(dag_id: str, run_id: str, conf: dict[str, Any]) -> str | None:
    """Start a DAG run inside the API server (which owns Airflow's database)."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.utils.types import DagRunTriggeredByType

    run = trigger_dag(
        dag_id,
        triggered_by=DagRunTriggeredByType.REST_API,
        conf=conf,
        run_id=run_id,
        triggering_user_name="formulir-bapas",
    )
    return run.run_id if run else None


def raw_values(form_data: FormData) -> dict[str, Any]:
    """The posted answers by field name (a list for a repeated name); ``_`` fields are not answers.

    A file part is never a value: it becomes an empty answer here, and :func:`check_input`
    refuses it by name.
    """
    raw: dict[str, Any] = {}
    for key in form_data.keys():
        if key.startswith("_"):
            continue
        values = [value if isinstance(value, str) else "" for value in form_data.getlist(key)]
        raw[key] = values if len(values) > 1 else values[0]
    return raw


@dataclass
class PostedInput:
    """A post read against its form: the answers to validate, and what was refused on the way.

    ``errors`` names fields refused before validation (a file part, more than the limit);
    ``kept`` is what to show back in them (a long text cut to its limit, so nothing typed is lost
    from the page but what cannot be stored).
    """

    raw: dict[str, Any]
    errors: dict[str, str] = dataclass_field(default_factory=dict)
    kept: dict[str, Any] = dataclass_field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def field_limit(spec_field: Any) -> int:
    """The most characters a field takes: its own ``max_length``, else the default of its kind."""
    return spec_field.max_length or DEFAULT_MAX_CHARS.get(spec_field.kind, DEFAULT_TEXT_MAX_CHARS)


async def read_form_data(http_request: Request) -> FormData | None:
    """The posted form, or None when it cannot be read (a part above :data:`MAX_PART_BYTES`,
    a broken multipart body): the caller answers with a page, never Starlette's English 400."""
    if getattr(http_request.state, "form_unreadable", False):
        return None  # a second read (after the admin token check) finds the body consumed
    try:
        return await http_request.form(max_part_size=MAX_PART_BYTES)
    except (StarletteHTTPException, MultiPartException, UnicodeDecodeError, ValueError):
        http_request.state.form_unreadable = True
        return None


def check_input(form_data: FormData, form: FormSpec) -> PostedInput:
    """Refuse what no field can take: a file part named like a field, a text over the limit."""
    raw = raw_values(form_data)
    posted = PostedInput(raw=raw)
    fields = {f.name: f for f in form.fields}
    for key in form_data.keys():
        spec_field = fields.get(key)
        if spec_field is None:
            continue
        parts = form_data.getlist(key)
        if any(isinstance(part, UploadFile) for part in parts):
            posted.errors[key] = (
                f"{spec_field.label}: berkas tidak dapat dikirim di isian ini. "
                "Ketik isiannya (untuk dokumen: tempel tautannya)."
            )
            posted.kept[key] = [] if spec_field.kind == Kind.MULTI_CHOICE else ""
            continue
        limit = field_limit(spec_field)
        longest = max((len(part) for part in parts if isinstance(part, str)), default=0)
        if longest > limit:
            posted.errors[key] = (
                f"{spec_field.label}: terlalu panjang ({longest} karakter, paling banyak {limit}). "
                "Isian ditampilkan terpotong pada batas itu; periksa lalu kirim ulang."
            )
            cut = [part[:limit] for part in parts if isinstance(part, str)]
            posted.kept[key] = cut if spec_field.kind == Kind.MULTI_CHOICE else (cut[0] if cut else "")
            raw[key] = cut if len(cut) > 1 else (cut[0] if cut else "")
    return posted


async def read_and_validate(http_request: Request, form: FormSpec) -> tuple[FormData, dict[str, Any], Validation]:
    """Read a post of a form not tied to a link (a public intake, an admin form) and validate it.

    What :func:`check_input` refuses (a file part, a text over its limit) is in the validation's
    errors and shown back in ``kept``; a post that cannot be read at all is one error with
    nothing kept (the page says why and what to do).
    """
    form_data = await read_form_data(http_request)
    if form_data is None:
        return FormData(), {}, Validation(values={}, errors={"_kiriman": UNREADABLE_POST}, kept={})
    posted = check_input(form_data, form)
    validation = form.validate(posted.raw)
    if posted.errors:
        validation = Validation(
            values=validation.values, errors={**validation.errors, **posted.errors},
            kept={**validation.kept, **posted.kept},
        )
    return form_data, posted.raw, validation


def _text(value: Any) -> str:
    """A posted value as text: a file part or nothing is empty."""
    return value if isinstance(value, str) else ""


def _unreadable_post(token: str) -> Response:
    """The page for a post too large or broken to be read: the form again, with the reason."""
    with session_scope() as session:
        try:
            linked = humantask.open_link(session, token)
        except LinkError as exc:
            return _link_error(exc)
        if linked.request.status != humantask.OPEN:
            return _link_error(LinkError("closed", "Langkah ini sudah dijawab atau ditutup."))
        return _form_page(
            linked.form, linked.request, token, values=_prefill_values(linked.form, linked.request.prefill),
            errors={"_kiriman": UNREADABLE_POST}, status_code=413,
        )


UNREADABLE_POST = (
    "Kiriman terlalu besar atau rusak sehingga tidak dapat dibaca. Batas tiap isian tertulis di bawah "
    "isiannya; persingkat isian lalu kirim ulang."
)


def trusted_hosts() -> list[str]:
    """The Host names the forms app answers: the public URL's, this machine's, the test client's.

    ``BAPAS_ALLOWED_HOSTS`` (comma-separated) adds names, e.g. an office PC's LAN name when the
    links point at its IP address.
    """
    hosts = {"localhost", "127.0.0.1", "::1", "testserver"}
    public_host = urlparse(get_settings().public_url).hostname
    if public_host:
        hosts.add(public_host)
    hosts.update(h.strip() for h in os.environ.get("BAPAS_ALLOWED_HOSTS", "").split(",") if h.strip())
    return sorted(hosts)


class IndonesianTrustedHostMiddleware(TrustedHostMiddleware):
    """Starlette's Host check, answering an unknown Host with an Indonesian page, not a bare text."""

    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        super().__init__(app, allowed_hosts=allowed_hosts, www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.allow_any:
            host = Headers(scope=scope).get("host", "").split(":")[0]
            if not any(host == p or (p.startswith("*") and host.endswith(p[1:])) for p in self.allowed_hosts):
                response = render_page(
                    "message.html", status_code=400, title="Alamat server tidak dikenal",
                    message="Halaman ini hanya dapat dibuka melalui alamat resmi dari email atau dari admin SOP.",
                )
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def public_link(request: Request) -> str:
    """This request's page as a link on the configured public URL: never from the Host header."""
    public = urlparse(get_settings().public_url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public.scheme}://{public.netloc}{request.url.path}{query}"


def server_error_page() -> Response:
    """The Indonesian page of an unexpected error; a bare HTML one if even rendering fails."""
    title = "Terjadi kesalahan"
    message = ("Terjadi kesalahan pada server sehingga permintaan Anda belum dapat diproses. "
               "Coba lagi beberapa saat lagi; bila tetap gagal, hubungi admin SOP.")
    try:
        return render_page("message.html", status_code=500, title=title, message=message)
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        log.exception("the error page could not be rendered")
        return HTMLResponse(
            f'<!doctype html><html lang="id"><meta charset="utf-8"><title>{title}</title>'
            f"<h1>{title}</h1><p>{message}</p></html>",
            status_code=500,
        )


def _prefill_values(form: FormSpec, prefill: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in form.fields:
        if field.name not in prefill or prefill[field.name] is None:
            continue
        value = prefill[field.name]
        if field.kind == Kind.YES_NO and isinstance(value, bool):
            value = "ya" if value else "tidak"
        values[field.name] = value if field.kind == Kind.MULTI_CHOICE else str(value)
    return values


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def base_path() -> str:
    """Where the app is mounted (``/bapas``), from the public URL the links are made of."""
    return urlparse(get_settings().public_url).path.rstrip("/")


def _link_error(exc: LinkError) -> Response:
    titles = {
        "expired": "Tautan kedaluwarsa",
        "invalid": "Tautan tidak sah",
        "handed_over": "Tugas sudah dialihkan",
        "wrong_person": "Tautan bukan untuk Anda",
        "closed": "Langkah sudah ditutup",
    }
    return render_page(
        "message.html", status_code=LINK_ERROR_STATUS.get(exc.reason, 403),
        title=titles.get(exc.reason, "Tautan tidak dapat digunakan"), message=exc.message,
    )


def _form_page(
    form: FormSpec, request: Any, token: str, *, values: Mapping[str, Any], errors: Mapping[str, str],
    status_code: int = 200, handover_error: str | None = None, handover_values: Mapping[str, str] | None = None,
) -> Response:
    stand_ins = []
    if form.allow_handover and request.assignee_nip:
        directory = get_directory()
        stand_ins = [
            p for p in directory.active_employees()
            if p.nip != request.assignee_nip and not p.on_leave
        ]
    return render_page(
        "form.html",
        status_code=status_code,
        form=form,
        fields=_field_views(form, request.context, values, errors),
        request=request,
        errors=errors,
        action=f"/f/{token}",
        handover_action=f"/f/{token}/alihkan",
        csrf=csrf_token(token),
        facts=request.context.get("facts", []),
        stand_ins=stand_ins,
        handover_error=handover_error,
        handover_values=handover_values or {},
    )


def public_form_page(form: FormSpec, *, action: str, values: Mapping[str, Any], errors: Mapping[str, str], status_code: int = 200, hidden: Mapping[str, str] | None = None) -> Response:
    # ``hidden``: extra hidden fields a page needs carried back with the post (e.g. a submission key).
    return render_page(
        "form.html", status_code=status_code, form=form, fields=_field_views(form, {}, values, errors),
        request=None, errors=errors, action=action, csrf=None, facts=[], stand_ins=[], hidden=dict(hidden or {}),
    )


def _field_views(form: FormSpec, context: Mapping[str, Any], values: Mapping[str, Any], errors: Mapping[str, str]) -> list[dict[str, Any]]:
    views = []
    for field in form.fields:
        value = values.get(field.name, [] if field.kind == Kind.MULTI_CHOICE else "")
        views.append({
            "spec": field,
            "kind": str(field.kind),
            "value": value,
            "error": errors.get(field.name),
            "choices": form.choices_for(field, context),
            "required": field.required and field.required_if is None,
            "conditional": _condition_text(form, field.required_if, context),
            "limit": field_limit(field),
        })
    return views


def _condition_text(form: FormSpec, condition: tuple[str, str] | None, context: Mapping[str, Any]) -> str | None:
    """``wajib bila «Melakukan perjalanan dinas?» dijawab «Ya»`` for a conditionally required field."""
    if condition is None:
        return None
    other = form.field(condition[0])
    labels = {c.value: c.label for c in form.choices_for(other, context)}
    return f"wajib bila «{other.label}» dijawab «{labels.get(condition[1], condition[1])}»"


def _answered_page(form: FormSpec, request: Any, *, just_saved: bool, not_saved: bool = False) -> Response:
    """The recorded answer; ``not_saved`` tells the one whose answer came second that theirs was
    not kept (the first answer stands, it is never overwritten)."""
    response = request.latest_response
    return render_page(
        "answered.html", form=form, request=request, just_saved=just_saved, not_saved=not_saved,
        rows=form.display(response.data if response else {}, request.context),
        answered_at=response.submitted_at if response else None,
    )


__all__ = [
    "PostedInput", "check_input", "create_app", "field_limit", "public_form_page", "raw_values", "read_and_validate",
    "read_form_data",
    "render_page", "server_error_page", "trusted_hosts", "Validation",
]


def _resume_request(request_id: int) -> Any:
    from bapas_sop.airflow.resume import resume_request

    return resume_request(request_id)
