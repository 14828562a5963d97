"""A confidential SOP's steps and emails on the shared admin pages: keys and stages, no person outside."""

from __future__ import annotations

from datetime import timedelta

from bapas_sop import audit
from bapas_sop.mail.outbox import enqueue
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, utcnow
from tests.support.people import KABAPAS

ADMIN = {"x-test-admin": "yes"}
SECRET_EMAIL = "pelapor.rahasia@contoh.example"
SECRET_TEXT = "petugas meminta uang lima puluh ribu"


def test_shared_admin_pages_withhold_a_complainant(web, smtp_server):
    with session_scope() as session:
        now = utcnow()
        session.add(FormRequest(
            key="yanpatmas/aduan__YP-2026-0009/kelengkapan", dag_id="yanpatmas", run_id="aduan__YP-2026-0009",
            step="kelengkapan", form_name="x", title="Kelengkapan pengaduan YP-2026-0009", role=None,
            assignee_nip=None, assignee_name="Pelapor Rahasia", assignee_email=SECRET_EMAIL, context={}, prefill={},
            status="open", created_at=now, due_at=now + timedelta(days=30), remind_at=None, escalate_at=None,
            expires_at=now + timedelta(days=31),
        ))
        audit.record(session, actor=SECRET_EMAIL, action="answered", subject="yanpatmas/aduan__YP-2026-0009/kelengkapan",
                     dag_id="yanpatmas", run_id="aduan__YP-2026-0009", answer={"tambahan": SECRET_TEXT})
        audit.record(session, actor="system", action="answered", subject="sp2lo/run1/kabapas_disposisi",
                     dag_id="sp2lo", run_id="run1", answer={"seksi": "bka"})
        enqueue(session, key="yanpatmas/aduan__YP-2026-0009/selesai", to=[SECRET_EMAIL, "tidak-valid"],
                cc=KABAPAS.email, subject="Pengaduan YP-2026-0009 selesai", html="x", text="x")

    requests = web.get("/bapas/admin/permintaan", headers=ADMIN).text
    assert "Kelengkapan pengaduan YP-2026-0009" in requests and "Pelapor Rahasia" not in requests
    trail = web.get("/bapas/admin/audit", headers=ADMIN).text
    assert "yanpatmas/aduan__YP-2026-0009/kelengkapan" in trail
    assert SECRET_TEXT not in trail and SECRET_EMAIL not in trail
    assert "bka" in trail  # another SOP's trail is shown whole
    outbox = web.get("/bapas/admin/outbox", headers=ADMIN).text
    assert "Pengaduan YP-2026-0009 selesai" in outbox and SECRET_EMAIL not in outbox
    assert KABAPAS.email in outbox  # staff who were told stay visible
