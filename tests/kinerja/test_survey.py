"""The satisfaction survey behind a personal link: once per person, one answer, anonymous."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from bapas_sop.kinerja import survey
from bapas_sop.mail.outbox import mailing
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import SkmInvitation, SkmResponse, utcnow
from tests.support.forms import checked, csrf, path_of

ADMIN = {"x-test-admin": "yes"}
SCORES = {f"u{i}": "3" for i in range(1, 10)}


def _invite(smtp_server, subject="LITMAS-2026-0042", to="polisi@polresta.example"):
    with mailing() as batch:
        key = survey.invite(batch, service="sp2lo", service_title="Litmas", subject=subject, to=to, name="Bripka Andi")
    return key


def _link(smtp_server) -> str:
    from bapas_sop.mail.devserver import read_inbox

    [message] = [m for m in read_inbox(smtp_server.maildir) if "Survei kepuasan" in m.subject]
    [link] = [link for link in message.links if "/bapas/skm/" in link]
    return path_of(link)


def test_invitation_is_sent_once_and_keeps_no_address_or_token(smtp_server):
    assert _invite(smtp_server) is not None
    assert _invite(smtp_server) is None  # a retried task
    link = _link(smtp_server)
    token = link.rsplit("/", 1)[1]
    with session_scope() as session:
        [row] = session.scalars(select(SkmInvitation)).all()
        stored = " ".join(str(v) for v in (row.key, row.token_hash, row.subject, row.service))
    assert "polisi@polresta.example" not in stored and token not in stored


def test_answer_once_and_results_carry_nothing_back(smtp_server, web):
    _invite(smtp_server)
    link = _link(smtp_server)
    page = web.get(link)
    assert page.status_code == 200 and "Persyaratan" in page.text and "Sangat sesuai" in page.text
    response = web.post(link, data={**SCORES, "komentar": "Petugas ramah.", "_csrf": csrf(page.text)})
    assert response.status_code == 200 and "Terima kasih" in response.text
    again = web.post(link, data={**SCORES, "_csrf": csrf(page.text)})
    assert "sudah diisi" in again.text
    with session_scope() as session:
        rows = session.scalars(select(SkmResponse)).all()
    assert len(rows) == 1
    assert rows[0].scores == {f"u{i}": 3 for i in range(1, 10)} and rows[0].comment == "Petugas ramah."
    assert not hasattr(rows[0], "invitation_id") and not hasattr(rows[0], "subject")


def test_a_missing_answer_is_named_in_indonesian_and_the_rest_kept(smtp_server, web):
    _invite(smtp_server)
    link = _link(smtp_server)
    page = web.get(link)
    partial = {k: v for k, v in SCORES.items() if k != "u7"} | {"u2": "4", "komentar": "Antrean agak lama"}
    response = web.post(link, data={**partial, "_csrf": csrf(page.text)})
    assert response.status_code == 422
    assert "Perilaku pelaksana" in response.text and "wajib" in response.text.lower()
    assert checked(response.text, "u2") == ["4"] and "Antrean agak lama" in response.text
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(SkmResponse)) == 0


def test_foreign_post_expired_and_unknown_links(smtp_server, web):
    _invite(smtp_server)
    link = _link(smtp_server)
    forged = web.post(link, data={**SCORES, "_csrf": "x" * 64})
    assert forged.status_code == 403
    assert web.get("/bapas/skm/tidak-ada").status_code == 404
    with session_scope() as session:
        session.execute(SkmInvitation.__table__.update().values(expires_at=utcnow() - timedelta(days=1)))
    expired = web.get(link)
    assert expired.status_code == 410 and "kedaluwarsa" in expired.text


def test_two_posts_at_once_store_one_answer(smtp_server):
    _invite(smtp_server)
    token = _link(smtp_server).rsplit("/", 1)[1]
    values = {k: int(v) for k, v in SCORES.items()}
    results = []
    threads = [threading.Thread(target=lambda: results.append(survey.record_answer(token, values))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.state for r in results} == {"answered"}
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(SkmResponse)) == 1
