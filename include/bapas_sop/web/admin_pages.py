"""Admin pages shared by every SOP: the development inbox, open human steps, the audit trail and
the SOP history page. An SOP's own admin pages (SP2LO's Litmas monitor) are in its package.

Every route here depends on the admin check given by the app (Airflow's login by default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from bapas_sop.settings import get_settings
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest, utcnow
from bapas_sop.web.render import render_page


def router(admin: Callable[..., Any]) -> APIRouter:
    routes = APIRouter(dependencies=[Depends(admin)])

    @routes.get("/", response_class=HTMLResponse)
    def index() -> Response:
        from bapas_sop.descriptor import discover

        return render_page("admin_index.html", title="Admin Bapas SOP", sops=discover())

    @routes.get("/inbox", response_class=HTMLResponse)
    def inbox(kepada: str | None = None) -> Response:
        from bapas_sop.mail.devserver import read_inbox

        messages = read_inbox(get_settings().maildir)
        if kepada:
            messages = [m for m in messages if kepada.lower() in " ".join(m.to + m.cc).lower()]
        return render_page("admin_inbox.html", title="Kotak masuk email", messages=messages, kepada=kepada or "")

    @routes.get("/inbox/{message_id}", response_class=HTMLResponse)
    def inbox_message(message_id: str) -> Response:
        from bapas_sop.mail.devserver import read_inbox

        for message in read_inbox(get_settings().maildir):
            if message.id == message_id:
                return render_page("admin_inbox_message.html", title=message.subject, message=message)
        return render_page("message.html", status_code=404, title="Email tidak ditemukan",
                           message="Email ini tidak ada di kotak masuk.")

    @routes.get("/permintaan", response_class=HTMLResponse)
    def open_requests() -> Response:
        with session_scope() as session:
            rows = session.scalars(
                select(FormRequest).where(FormRequest.status == "open").order_by(FormRequest.due_at)
            ).all()
        return render_page("admin_requests.html", title="Langkah formulir terbuka", rows=rows, now=utcnow())

    @routes.get("/audit", response_class=HTMLResponse)
    def audit_trail(subjek: str = "", batas: int = 200) -> Response:
        with session_scope() as session:
            stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(min(batas, 2000))
            if subjek:
                stmt = stmt.where(AuditEvent.subject.contains(subjek))
            events = session.scalars(stmt).all()
        return render_page("admin_audit.html", title="Jejak audit", events=events, subjek=subjek)

    @routes.get("/riwayat", response_class=HTMLResponse)
    def history(sop: str | None = None) -> Response:
        from bapas_sop.web.admin_history import history_page

        return history_page(sop)

    return routes
