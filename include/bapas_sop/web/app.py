"""The forms web app: staff and outside people answer their steps here, admins watch.

Mounted by the plugin inside Airflow's API server at ``/bapas``. Form pages are public: the
signed link is the credential (staff have no Airflow account). Admin pages (inbox, Litmas
monitor, open steps, audit) need an Airflow login and use Airflow's own ``get_user``.

Pages are server-rendered and need no JavaScript: they must work on a cheap phone over a
weak connection, and nothing is loaded from outside the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlparse

from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from bapas_sop import humantask
from bapas_sop.directory import get_directory
from bapas_sop.forms.links import LinkError, csrf_ok, csrf_token
from bapas_sop.forms.registry import get_form
from bapas_sop.forms.spec import FormSpec, Kind, Validation
from bapas_sop.settings import get_settings
from bapas_sop.store.db import session_scope
from bapas_sop.web.render import render_page

LINK_ERROR_STATUS = {"expired": 410, "invalid": 403, "handed_over": 410, "wrong_person": 403, "closed": 410}


def create_app(
    *,
    admin_dependency: Callable[..., Any] | None = None,
    deliver: Callable[[list[str]], Any] | None = None,
    start_run: Callable[[str, str, dict[str, Any]], Any] | None = None,
) -> FastAPI:
    """Build the app. Tests inject the admin check, mail delivery and DAG triggering.

    :param admin_dependency: a FastAPI dependency that returns the logged-in admin or raises;
        Airflow's ``get_user`` by default.
    :param deliver: sends queued outbox keys now (default: flush through the SMTP connection);
        a failure leaves them queued for the sweep.
    :param start_run: starts a DAG run, ``start_run(dag_id, run_id, conf)`` (an SOP's public
        form starts its run this way; default: Airflow's ``trigger_dag``).
    """
    app = FastAPI(title="Bapas SOP", docs_url=None, redoc_url=None, openapi_url=None)
    admin = admin_dependency or airflow_admin
    deliver = deliver or deliver_now
    start_run = start_run or trigger_run

    @app.exception_handler(AdminLoginRequired)
    async def _login_required(request: Request, exc: AdminLoginRequired) -> Response:
        return render_page(
            "message.html",
            status_code=401,
            title="Perlu masuk",
            message="Halaman ini khusus admin. Silakan masuk ke Airflow terlebih dahulu, lalu buka lagi halaman ini.",
            link=f"/auth/login/?next={quote(str(request.url))}",
            link_label="Masuk ke Airflow",
        )

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # --- staff and outside people: one form per signed link ---------------------------

    @app.get("/f/{token}", response_class=HTMLResponse)
    def show_form(token: str, tersimpan: int = 0) -> Response:
        with session_scope() as session:
            try:
                linked = humantask.open_link(session, token)
            except LinkError as exc:
                return _link_error(exc)
            request = linked.request
            if request.status == humantask.ANSWERED:
                return _answered_page(linked.form, request, just_saved=bool(tersimpan))
            if request.status != humantask.OPEN:
                return _link_error(LinkError("closed", "Langkah ini sudah ditutup karena batas waktunya telah lewat."))
            values = _prefill_values(linked.form, request.prefill)
            return _form_page(linked.form, request, token, values=values, errors={})

    @app.post("/f/{token}", response_class=HTMLResponse)
    async def post_form(token: str, http_request: Request, background: BackgroundTasks) -> Response:
        form_data = await http_request.form()
        if not csrf_ok(token, form_data.get("_csrf")):
            return render_page(
                "message.html", status_code=403, title="Formulir tidak sah",
                message="Formulir ini tidak dikirim dari halaman yang benar. Buka kembali tautan dari email Anda.",
            )
        raw = raw_values(form_data)
        try:
            result = humantask.submit(token, raw, remote_addr=_client(http_request))
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
        # Post/redirect/get: a reload of the confirmation does not post again.
        return RedirectResponse(f"{base_path()}/f/{token}?tersimpan=1", status_code=303)

    @app.post("/f/{token}/alihkan", response_class=HTMLResponse)
    async def hand_over(token: str, http_request: Request, background: BackgroundTasks) -> Response:
        form_data = await http_request.form()
        if not csrf_ok(token, form_data.get("_csrf")):
            return render_page("message.html", status_code=403, title="Formulir tidak sah",
                               message="Buka kembali tautan dari email Anda.")
        to_nip = str(form_data.get("pengganti_nip") or "")
        reason = str(form_data.get("alasan") or "")
        try:
            request, keys = humantask.hand_over(token, to_nip, reason)
        except LinkError as exc:
            return _link_error(exc)
        except humantask.HandOverError as exc:
            with session_scope() as session:
                linked = humantask.open_link(session, token)
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

    from bapas_sop.web import admin_pages

    app.include_router(admin_pages.router(admin), prefix="/admin")
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
    raw: dict[str, Any] = {}
    for key in form_data.keys():
        if key.startswith("_"):
            continue
        values = form_data.getlist(key)
        raw[key] = values if len(values) > 1 else values[0]
    return raw


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


def public_form_page(form: FormSpec, *, action: str, values: Mapping[str, Any], errors: Mapping[str, str], status_code: int = 200) -> Response:
    return render_page(
        "form.html", status_code=status_code, form=form, fields=_field_views(form, {}, values, errors),
        request=None, errors=errors, action=action, csrf=None, facts=[], stand_ins=[],
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
        })
    return views


def _condition_text(form: FormSpec, condition: tuple[str, str] | None, context: Mapping[str, Any]) -> str | None:
    """``wajib bila «Melakukan perjalanan dinas?» dijawab «Ya»`` for a conditionally required field."""
    if condition is None:
        return None
    other = form.field(condition[0])
    labels = {c.value: c.label for c in form.choices_for(other, context)}
    return f"wajib bila «{other.label}» dijawab «{labels.get(condition[1], condition[1])}»"


def _answered_page(form: FormSpec, request: Any, *, just_saved: bool) -> Response:
    response = request.latest_response
    return render_page(
        "answered.html", form=form, request=request, just_saved=just_saved,
        rows=form.display(response.data if response else {}, request.context),
        answered_at=response.submitted_at if response else None,
    )


__all__ = ["create_app", "public_form_page", "raw_values", "render_page", "Validation"]
