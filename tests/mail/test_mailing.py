"""``mailing()``: the one way a flow sends email, against a real SMTP server and SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bapas_sop.mail import read_inbox
from bapas_sop.mail.devserver import DevSmtp
from bapas_sop.mail.outbox import mailing
from bapas_sop.store import AuditEvent, OutboxMessage, session_scope
from bapas_sop import audit


def _generic(batch, key: str, to: str = "pk@bapas.example", **extra):
    return batch.email(key=key, to=to, template="generic",
                       context={"subject": "Pemberitahuan", "paragraphs": ["Isi pesan."]}, **extra)


def test_emails_go_out_once_the_records_they_announce_are_committed(smtp_server: DevSmtp, project: Path) -> None:
    with mailing() as batch:
        audit.record(batch.session, actor="uji", action="uji_dicatat", subject="uji/1")
        _generic(batch, "uji/1/pemberitahuan/a")
        _generic(batch, "uji/1/pemberitahuan/b", to="kasubsi@bapas.example")
        assert read_inbox(project / "mail") == []  # nothing is sent inside the transaction
    assert batch.result is not None and batch.result.sent == 2
    assert sorted(m.to[0] for m in read_inbox(project / "mail")) == ["kasubsi@bapas.example", "pk@bapas.example"]


def test_a_failed_transaction_sends_nothing_and_keeps_nothing(smtp_server: DevSmtp, project: Path) -> None:
    with pytest.raises(RuntimeError), mailing() as batch:
        audit.record(batch.session, actor="uji", action="uji_dicatat", subject="uji/2")
        _generic(batch, "uji/2/pemberitahuan")
        raise RuntimeError("the step failed after queueing")
    assert read_inbox(project / "mail") == []
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.subject == "uji/2")) == 0


def test_a_retry_finds_its_emails_and_sends_nothing_twice(smtp_server: DevSmtp, project: Path) -> None:
    built: list[int] = []

    def attachment() -> dict[str, bytes]:
        built.append(1)
        return {"lampiran.txt": b"isi lampiran"}

    for attempt in range(2):
        with mailing() as batch:
            _generic(batch, "uji/3/laporan", attachments=attachment)
            assert batch.is_new("uji/3/laporan") is (attempt == 0)
    assert len(read_inbox(project / "mail")) == 1
    assert built == [1]  # the attachment is built only for the new email


def test_mail_server_down_leaves_the_email_queued_and_the_records_kept(project: Path, monkeypatch, closed_port: int) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BAPAS_SMTP", f"smtp://127.0.0.1:{closed_port}?timeout=2")
    with mailing() as batch:
        audit.record(batch.session, actor="uji", action="uji_dicatat", subject="uji/4")
        _generic(batch, "uji/4/pemberitahuan")
    assert batch.result is not None and not batch.result.ok
    with session_scope() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.key == "uji/4/pemberitahuan"))
        assert row is not None and row.status == "queued" and row.last_error
        assert audit.history(session, "uji/4")
