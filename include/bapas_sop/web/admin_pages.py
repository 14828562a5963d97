"""Admin pages shared by every SOP: the development inbox, open human steps, the audit trail and
the SOP history page. An SOP's own admin pages (SP2LO's Litmas monitor) are in its package.

Every route here depends on the admin check given by the app (Airflow's login by default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from bapas_sop.descriptor import confidential_dags
from bapas_sop.settings import get_settings
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest, utcnow
from bapas_sop.web.render import render_page


#: Query parameters are bounded: a value out of range is an Indonesian 422 page (see the app's
#: handler), never a database error (``?batas=-99999999999999999999`` overflowed SQLite).
AUDIT_MAX_ROWS = 2000
TEXT_PARAM_MAX = 200


def router(admin: Callable[..., Any]) -> APIRouter:
    routes = APIRouter(dependencies=[Depends(admin)])

    @routes.get("/", response_class=HTMLResponse)
    def index() -> Response:
        from bapas_sop.descriptor import discover

        return render_page("admin_index.html", title="Admin Bapas SOP", sops=discover())

    @routes.get("/inbox", response_class=HTMLResponse)
    def inbox(kepada: str | None = Query(None, max_length=TEXT_PARAM_MAX)) -> Response:
        from bapas_sop.mail.devserver import read_inbox

        messages = read_inbox(get_settings().maildir)
        if kepada:
            messages = [m for m in messages if kepada.lower() in " ".join(m.to + m.cc).lower()]
        return render_page("admin_inbox.html", title="Kotak masuk email", messages=messages, kepada=kepada or "")

    @routes.get("/inbox/{message_id}", response_class=HTMLResponse)
    def inbox_message(message_id: str = Path(max_length=TEXT_PARAM_MAX)) -> Response:
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
        return render_page("admin_requests.html", title="Langkah formulir terbuka", rows=rows, now=utcnow(),
                           withheld=_withheld_request_ids(rows))

    @routes.get("/audit", response_class=HTMLResponse)
    def audit_trail(
        subjek: str = Query("", max_length=TEXT_PARAM_MAX), batas: int = Query(200, ge=1, le=AUDIT_MAX_ROWS),
    ) -> Response:
        with session_scope() as session:
            stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(batas)
            if subjek:
                stmt = stmt.where(AuditEvent.subject.contains(subjek))
            events = session.scalars(stmt).all()
            confidential = confidential_dags()
            shown = [_audit_view(e, confidential) for e in events]
        return render_page("admin_audit.html", title="Jejak audit", events=shown, subjek=subjek)

    @routes.get("/outbox", response_class=HTMLResponse)
    def outbox() -> Response:
        return _outbox_page()

    @routes.get("/riwayat", response_class=HTMLResponse)
    def history(sop: str | None = Query(None, max_length=TEXT_PARAM_MAX)) -> Response:
        from bapas_sop.web.admin_history import history_page

        return history_page(sop)

    @routes.get("/konfigurasi", response_class=HTMLResponse)
    def configuration() -> Response:
        from bapas_sop.web.admin_config import config_page

        return config_page()

    @routes.get("/proses", response_class=HTMLResponse)
    def processes() -> Response:
        # The launcher's supervisor (devstack) writes this file; under Compose Docker restarts
        # containers and there is none: the page says so instead of guessing.
        import json
        import os
        from datetime import datetime

        from bapas_sop.devstack import PROCESS_STATUS_FILE
        from bapas_sop.settings import _var_dir

        try:
            status = json.loads((_var_dir() / PROCESS_STATUS_FILE).read_text(encoding="utf-8"))
            rows = [dict(row) for row in status["processes"]]
            for row in rows:  # times are shown in WIB; one the page cannot read means no data
                for key in ("started_at", "last_restart_at"):
                    row[key] = datetime.fromisoformat(row[key]) if row.get(key) else None
            updated_at = datetime.fromisoformat(status["updated_at"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return render_page("admin_processes.html", title="Proses sistem", rows=None, updated_at=None)
        for row in rows:
            # A status left by a launcher that was killed would say "running": ask the system too.
            alive = False
            if row.get("running") and isinstance(row.get("pid"), int):
                try:
                    os.kill(row["pid"], 0)
                    alive = True
                except PermissionError:
                    alive = True
                except (ProcessLookupError, OverflowError, ValueError):
                    pass
            row["running"] = alive
        return render_page("admin_processes.html", title="Proses sistem", rows=rows, updated_at=updated_at)

    return routes


#: A queued email tried this many times is shown as stuck: the sweep keeps retrying it, but
#: someone should look (a mail server that refuses it, a wrong password).
OUTBOX_STUCK_ATTEMPTS = 3
#: At most this many rows per list: the page stays light on a phone; the counts say the rest.
OUTBOX_MAX_ROWS = 200
#: Each outbox status as the admin reads it, in the order the counts are shown.
OUTBOX_STATUS_LABELS = {"failed": "Gagal permanen", "queued": "Antre", "sending": "Sedang dikirim",
                        "sent": "Terkirim"}


def _outbox_page() -> Response:
    """``Email keluar``: what the outbox holds per status, the emails that can never be sent
    and those still queued after several attempts, newest first.

    The outbox never loses an email and retries quietly, so an email that will never arrive
    (an address SMTP cannot carry) or keeps failing is only noticed here: loudly, in one place.
    """
    from sqlalchemy import func

    from bapas_sop.mail.outbox import FAILED, QUEUED
    from bapas_sop.store.models import OutboxMessage

    newest_first = (OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    with session_scope() as session:
        counted = dict(session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all())
        failed = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == FAILED).order_by(*newest_first).limit(OUTBOX_MAX_ROWS)
        ).all()
        stuck = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == QUEUED, OutboxMessage.attempts >= OUTBOX_STUCK_ATTEMPTS)
            .order_by(*newest_first).limit(OUTBOX_MAX_ROWS)
        ).all()
        last_tried = _last_attempts(session, [m.key for m in (*failed, *stuck)])
        session.expunge_all()
    counts = [(label, counted.pop(status, 0)) for status, label in OUTBOX_STATUS_LABELS.items()]
    counts += sorted(counted.items())  # a status this page does not know yet is still counted
    confidential, staff = confidential_dags(), _staff_emails()
    for message in (*failed, *stuck):
        if _key_dag(message.key) in confidential:
            message.to_addr, message.cc_addr = _mask_addresses(message.to_addr, staff), _mask_addresses(message.cc_addr, staff)
            message.last_error = WITHHELD if message.last_error and "@" in message.last_error else message.last_error
    return render_page(
        "admin_outbox.html", title="Email keluar", counts=counts, failed=failed, stuck=stuck,
        last_tried=last_tried, stuck_attempts=OUTBOX_STUCK_ATTEMPTS, max_rows=OUTBOX_MAX_ROWS,
    )


def _last_attempts(session: Any, keys: list[str]) -> dict[str, Any]:
    """When each key was last tried (its newest send audit event): the outbox row keeps only
    the count of attempts and the last error."""
    from sqlalchemy import func

    if not keys:
        return {}
    rows = session.execute(
        select(AuditEvent.subject, func.max(AuditEvent.at))
        .where(AuditEvent.subject.in_(keys),
               AuditEvent.action.in_(("email_failed", "email_undeliverable", "email_sent")))
        .group_by(AuditEvent.subject)
    ).all()
    return dict(rows)


# --------------------------------------------------------------------------- confidential SOPs
#
# A confidential SOP (Yanpatmas: complaints) keeps names, contacts and answers of people outside
# the directory in its own encrypted records. These shared pages, open to every Airflow login,
# show its steps and emails by key and stage only; the trail itself keeps everything (the
# project's database is where personal data belongs).

WITHHELD = "(dirahasiakan)"


def _key_dag(key: str | None) -> str:
    return (key or "").split("/", 1)[0]


def _staff_emails() -> frozenset[str]:
    from bapas_sop.directory import get_directory

    return frozenset(p.email.lower() for p in get_directory().people)


def _mask_addresses(header: str | None, staff: frozenset[str]) -> str | None:
    """Staff addresses stay (who was told is not secret); any other becomes ``(dirahasiakan)``."""
    if not header:
        return header
    from email.utils import getaddresses

    return ", ".join(addr if addr.lower() in staff else WITHHELD for _name, addr in getaddresses([header]))


def _withheld_request_ids(rows: Any) -> frozenset[int]:
    """Open steps of a confidential SOP addressed to someone outside the directory."""
    confidential = confidential_dags()
    return frozenset(r.id for r in rows if r.dag_id in confidential and not r.assignee_nip)


def _audit_view(event: AuditEvent, confidential: frozenset[str]) -> dict[str, Any]:
    """An audit row as the page shows it: a row of a confidential SOP (``confidential``: its DAG
    ids) keeps its action, subject and the names of what it holds, not the values."""
    detail = dict(event.detail or {})
    actor = event.actor
    if event.dag_id in confidential or _key_dag(event.subject) in confidential:
        detail = {key: WITHHELD for key in detail}
        actor = actor if actor.startswith("system") or actor.isdigit() else WITHHELD
    return {"at": event.at, "actor": actor, "action": event.action, "subject": event.subject, "detail": detail}
