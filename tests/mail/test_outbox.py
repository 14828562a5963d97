"""The outbox against a real SMTP server (aiosmtpd) and a real SQLite database: no mocks."""

from __future__ import annotations

import mailbox
import re
import sys
import threading
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bapas_sop.mail import (
    MailDeliveryError,
    SmtpSettings,
    enqueue,
    enqueue_email,
    find_messages,
    flush,
    message_id_for,
    read_inbox,
    smtp_settings,
    start_dev_smtp,
)
from bapas_sop.mail.devserver import DevSmtp
from bapas_sop.store import AuditEvent, OutboxMessage, session_scope
from bapas_sop.store.models import utcnow

TAG = re.compile(r"<[a-zA-Z/!][^>]*>")


def _queue(n: int, prefix: str = "run1/step/pk{i}@bapas.example/notice", **extra) -> list[str]:
    keys = []
    with session_scope() as session:
        for i in range(n):
            key = prefix.format(i=i)
            enqueue(
                session,
                key=key,
                to=f"pk{i}@bapas.example",
                subject=f"Pemberitahuan {i}",
                html=f"<p>Pesan nomor {i}</p>",
                text=f"Pesan nomor {i}",
                **extra,
            )
            keys.append(key)
    return keys


def _rows() -> list[OutboxMessage]:
    with session_scope() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        session.expunge_all()
        return list(rows)


def _audit(action: str) -> list[AuditEvent]:
    with session_scope() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        session.expunge_all()
        return list(rows)


def test_batch_goes_through_one_connection(smtp: SmtpSettings, smtp_server: DevSmtp) -> None:
    keys = _queue(3)

    result = flush(smtp)

    assert (result.sent, result.failed, result.remaining) == (3, 0, 0)
    assert result.ok
    assert smtp_server.wait_idle()
    assert smtp_server.connections_opened == 1
    assert smtp_server.connections_open == 0
    assert len(read_inbox(smtp_server.maildir)) == 3
    assert {row.status for row in _rows()} == {"sent"}
    assert sorted(e.subject for e in _audit("email_sent")) == sorted(keys)
    assert all(e.actor == "system" for e in _audit("email_sent"))


def test_empty_outbox_opens_no_connection(smtp: SmtpSettings, smtp_server: DevSmtp) -> None:
    assert flush(smtp) == flush(smtp)
    assert flush(smtp).sent == 0
    assert smtp_server.connections_opened == 0


def test_email_has_text_and_html_parts(smtp: SmtpSettings, smtp_server: DevSmtp) -> None:
    url = "http://localhost:8080/bapas/f/abc123?sig=x&v=1"
    key = "sp2lo/run-7/penunjukan_pk/budi@bapas.example/request"
    with session_scope() as session:
        enqueue_email(
            session,
            key=key,
            to="Budi Santoso <budi@bapas.example>",
            cc=["kasubsi@bapas.example"],
            template="generic",
            context={
                "subject": "Penunjukan PK untuk Litmas",
                "greeting": "Yth. Bapak Budi Santoso,",
                "paragraphs": ["Anda ditunjuk sebagai Pembimbing Kemasyarakatan."],
                "facts": {"Nomor surat": "W5.PAS.PAS.12-123"},
                "button_url": url,
                "button_label": "Isi formulir",
            },
        )

    assert flush(smtp).sent == 1

    [message] = find_messages(smtp_server.maildir, to="budi@bapas.example")
    assert message.subject == "Penunjukan PK untuk Litmas"
    assert message.message_id == message_id_for(key)
    assert message.cc == ["kasubsi@bapas.example"]
    assert message.sender == "SOP Bapas Jambi <sop@bapas-jambi.example>"
    assert url in message.links
    assert not TAG.search(message.text), message.text
    assert f"Isi formulir ({url})" in message.text
    assert "Nomor surat: W5.PAS.PAS.12-123" in message.text
    assert "<a href=" in message.html and "Isi formulir</a>" in message.html
    assert message.attachments == []
    # The kasubsi in Cc got it too (envelope), and the MIME shape is what clients expect.
    assert find_messages(smtp_server.maildir, to="kasubsi@bapas.example") == [message]
    raw = mailbox.Maildir(smtp_server.maildir).get_bytes(message.id)
    mime = BytesParser(policy=policy.default).parsebytes(raw)
    assert mime.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mime.iter_parts()] == ["text/plain", "text/html"]
    # yagmail would have turned newlines into <br>: the HTML we stored is what arrives.
    with session_scope() as session:
        stored = session.scalar(select(OutboxMessage.html).where(OutboxMessage.key == key))
    assert message.html.strip() == stored.strip()


def test_same_key_twice_is_sent_once(smtp: SmtpSettings, smtp_server: DevSmtp) -> None:
    key = "piket/2026-12-25/roster/ani@bapas.example/assignment"
    with session_scope() as session:
        first = enqueue(session, key=key, to="ani@bapas.example", subject="Jadwal piket",
                        html="<p>A</p>", text="A")
        first_id = first.id
    with session_scope() as session:  # the retried task
        again = enqueue(session, key=key, to="ani@bapas.example", subject="Jadwal piket (ulang)",
                        html="<p>B</p>", text="B")
        assert again.id == first_id
        assert again.subject == "Jadwal piket"

    assert flush(smtp).sent == 1
    with session_scope() as session:  # a retry after the send: still the same, sent row
        assert enqueue(session, key=key, to="ani@bapas.example", subject="x", html="x",
                       text="x").status == "sent"
    assert flush(smtp).sent == 0

    assert len(read_inbox(smtp_server.maildir)) == 1
    assert smtp_server.connections_opened == 1
    assert len(_rows()) == 1


def test_refused_messages_stay_queued_until_server_recovers(
    smtp: SmtpSettings, smtp_server: DevSmtp
) -> None:
    _queue(2)
    smtp_server.fail = True

    result = flush(smtp)

    assert (result.sent, result.failed, result.remaining) == (0, 2, 2)
    assert result.connection_error is None
    rows = _rows()
    assert [r.status for r in rows] == ["queued", "queued"]
    assert [r.attempts for r in rows] == [1, 1]
    assert all("451" in (r.last_error or "") for r in rows)
    assert len(_audit("email_failed")) == 2
    assert read_inbox(smtp_server.maildir) == []
    assert smtp_server.connections_opened == 1  # the batch went on in the same session

    smtp_server.fail = False
    result = flush(smtp)

    assert (result.sent, result.failed, result.remaining) == (2, 0, 0)
    rows = _rows()
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [r.attempts for r in rows] == [2, 2]
    assert [r.last_error for r in rows] == [None, None]
    assert len(read_inbox(smtp_server.maildir)) == 2


def test_refused_recipient_does_not_stop_the_batch(
    smtp: SmtpSettings, smtp_server: DevSmtp
) -> None:
    _queue(3)
    smtp_server.refuse.add("pk1@bapas.example")

    result = flush(smtp)

    assert (result.sent, result.failed, result.remaining) == (2, 1, 1)
    assert [r.status for r in _rows()] == ["sent", "queued", "sent"]
    assert "550" in (_rows()[1].last_error or "")
    assert smtp_server.wait_idle() and smtp_server.connections_opened == 1


def test_server_down_loses_nothing(project: Path, closed_port: int, tmp_path: Path) -> None:
    settings = SmtpSettings.from_uri(f"smtp://127.0.0.1:{closed_port}?timeout=2")
    _queue(2)

    result = flush(settings)

    assert (result.sent, result.failed, result.remaining) == (0, 2, 2)
    assert result.connection_error and "Connection" in result.connection_error
    assert [r.status for r in _rows()] == ["queued", "queued"]
    assert all(r.last_error == result.connection_error for r in _rows())

    with pytest.raises(MailDeliveryError) as raised:
        flush(settings, raise_on_error=True)
    assert raised.value.result.remaining == 2
    assert [r.attempts for r in _rows()] == [2, 2]

    with start_dev_smtp("127.0.0.1", closed_port, tmp_path / "later") as server:
        assert flush(settings).sent == 2
        assert len(read_inbox(server.maildir)) == 2


def test_indonesian_subject_and_body_survive(smtp: SmtpSettings, smtp_server: DevSmtp) -> None:
    subject = "Undangan “Tamu Ngopi” — Jum’at, 4 Desember 2026 • Ruang Aula Bapas"
    text = "Salam sejahtera, Ibu Siti Rahmawati — kopi & diskusi pukul 09.00 WIB."
    with session_scope() as session:
        enqueue(session, key="tamu_ngopi/2026-12/siti/undangan", to="siti@bapas.example",
                subject=subject, html=f"<p>{text.replace('&', '&amp;')}</p>", text=text)

    assert flush(smtp).sent == 1

    [message] = read_inbox(smtp_server.maildir)
    assert message.subject == subject
    assert message.text.strip() == text
    assert text in message.html.replace("&amp;", "&")
    raw = mailbox.Maildir(smtp_server.maildir).get_bytes(message.id)
    header = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert header.isascii() and b"=?utf-8?" in header.lower()


def test_a_path_in_the_text_is_not_an_attachment(
    smtp: SmtpSettings, smtp_server: DevSmtp, tmp_path: Path
) -> None:
    existing = tmp_path / "laporan_litmas.pdf"
    existing.write_bytes(b"%PDF-1.4 rahasia")
    with session_scope() as session:
        enqueue(session, key="k/path", to="pk@bapas.example", subject="Berkas",
                html=str(existing), text=str(existing))

    assert flush(smtp).sent == 1

    [message] = read_inbox(smtp_server.maildir)
    assert message.attachments == []
    assert message.text.strip() == str(existing)
    assert b"rahasia" not in mailbox.Maildir(smtp_server.maildir).get_bytes(message.id)


def test_attachments_are_kept_in_the_row(
    smtp: SmtpSettings, smtp_server: DevSmtp, tmp_path: Path
) -> None:
    pdf = tmp_path / "sertifikat.pdf"
    pdf.write_bytes(b"%PDF-1.4 sertifikat")
    _queue(1, attachments={"Sertifikat Peserta.pdf": pdf, "rekap.csv": b"nama;hadir\nAni;5\n"})
    pdf.unlink()  # the file may be gone by the time the flush runs on another worker

    assert flush(smtp).sent == 1

    [message] = read_inbox(smtp_server.maildir)
    assert message.attachments == ["Sertifikat Peserta.pdf", "rekap.csv"]
    assert "Pesan nomor 0" in message.text


def test_a_large_attachment_arrives_intact_in_short_lines(
    smtp: SmtpSettings, smtp_server: DevSmtp
) -> None:
    import os

    chart = b"\x89PNG\r\n\x1a\n" + os.urandom(60_000)  # a results chart, about 60 KB
    _queue(1, attachments={"hasil-peterpan-2026-Q3.png": chart, "Laporan Gaji UMR — Juli.pdf": b"%PDF-1.4"})

    assert flush(smtp).sent == 1

    [key] = mailbox.Maildir(smtp_server.maildir).keys()
    raw = mailbox.Maildir(smtp_server.maildir).get_bytes(key)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998  # SMTP's line limit (RFC 5322)
    mime = BytesParser(policy=policy.default).parsebytes(raw)
    files = {part.get_filename(): part.get_content() for part in mime.iter_attachments()}
    assert files == {"hasil-peterpan-2026-Q3.png": chart, "Laporan Gaji UMR — Juli.pdf": b"%PDF-1.4"}


def test_concurrent_enqueue_of_one_key_keeps_one_row(project: Path) -> None:
    key = "yanpatmas/run-1/ulp/keluhan@warga.example/ack"
    first_done, second_started = threading.Event(), threading.Event()
    ids: dict[str, int] = {}

    def first() -> None:
        with session_scope() as session:
            ids["first"] = enqueue(session, key=key, to="keluhan@warga.example", subject="A",
                                   html="A", text="A").id
            first_done.set()
            second_started.wait(5)
            threading.Event().wait(0.3)  # the second is now blocked on the write lock

    def second() -> None:
        first_done.wait(5)
        second_started.set()
        with session_scope() as session:
            ids["second"] = enqueue(session, key=key, to="keluhan@warga.example", subject="B",
                                    html="B", text="B").id

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert ids["first"] == ids["second"]
    [row] = _rows()
    assert row.subject == "A"


def test_enqueue_joins_the_callers_transaction(project: Path) -> None:
    """A rollback of the caller drops the email (it must not have been committed early)."""
    with pytest.raises(RuntimeError), session_scope() as session:
        enqueue(session, key="k/rollback", to="a@bapas.example", subject="s", html="h", text="t")
        raise RuntimeError("the task failed after enqueueing")
    assert _rows() == []


def test_concurrent_flushers_never_send_a_row_twice(
    smtp: SmtpSettings, smtp_server: DevSmtp
) -> None:
    _queue(12)
    results = []
    barrier = threading.Barrier(3)

    def run() -> None:
        barrier.wait(5)
        results.append(flush(smtp, limit=5))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    last = flush(smtp)

    assert sum(r.sent for r in results) + last.sent == 12
    assert sum(r.failed for r in results) + last.failed == 0
    message_ids = [m.message_id for m in read_inbox(smtp_server.maildir)]
    assert len(message_ids) == 12 == len(set(message_ids))


def test_stale_claim_goes_back_to_the_queue(smtp: SmtpSettings, smtp_server: DevSmtp) -> None:
    stale, fresh = _queue(2)
    with session_scope() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.key == stale)
                        .values(status="sending", claimed_at=utcnow() - timedelta(minutes=11)))
        session.execute(update(OutboxMessage).where(OutboxMessage.key == fresh)
                        .values(status="sending", claimed_at=utcnow() - timedelta(minutes=2)))

    assert flush(smtp).sent == 1

    assert [r.status for r in _rows()] == ["sent", "sending"]  # the other flusher is still on it


def test_flush_only_given_keys(smtp: SmtpSettings, smtp_server: DevSmtp) -> None:
    keys = _queue(3)

    result = flush(smtp, keys=[keys[1]])

    assert (result.sent, result.remaining) == (1, 0)
    assert [r.status for r in _rows()] == ["queued", "sent", "queued"]


def test_a_line_break_in_an_address_is_refused_at_enqueue(project: Path) -> None:
    with session_scope() as session, pytest.raises(ValueError):
        enqueue(session, key="k", to="a@b.example\r\nBcc: x@y.example", subject="s",
                html="h", text="t")


@pytest.mark.parametrize("address", ["bukan-alamat", "a,b@c.example", 'x"<evil@attacker.example>', "pémohon@contoh.example"])
def test_an_address_smtp_cannot_carry_fails_for_good_whatever_door_it_came_through(project: Path, address: str) -> None:
    """Enqueued directly by a flow (not through a form): kept, failed for good with the reason."""
    with session_scope() as session:
        message = enqueue(session, key="k", to=["ok@bapas.example", address], subject="s", html="h", text="t")
        assert message.status == "failed"
        assert "tidak dapat dikirim (permanen)" in message.last_error and repr(address) in message.last_error
        assert "ok@bapas.example" not in message.last_error


def test_several_good_recipients_are_queued(project: Path) -> None:
    with session_scope() as session:
        message = enqueue(session, key="k", to=["a@bapas.example", "Rina <b@bapas.example>"], cc="c@bapas.example",
                          subject="s", html="h", text="t")
        assert message.status == "queued"


# --------------------------------------------------------------------------- connection


def test_settings_from_uri() -> None:
    s = SmtpSettings.from_uri(
        "smtp://apikey:p%40ss%2Fw@mail.example:587?from=Bapas%20%3Csop%40bapas.example%3E"
    )
    assert (s.host, s.port, s.user, s.password) == ("mail.example", 587, "apikey", "p@ss/w")
    assert (s.use_ssl, s.starttls) == (False, True)
    assert s.sender == "Bapas <sop@bapas.example>" and s.envelope_sender == "sop@bapas.example"
    assert "p@ss" not in repr(s)
    s = SmtpSettings.from_uri("smtps://u:p@mail.example")
    assert (s.port, s.use_ssl, s.starttls) == (465, True, False)
    s = SmtpSettings.from_uri("smtp://127.0.0.1:2525?ssl=false&starttls=false")
    assert (s.user, s.password, s.use_ssl, s.starttls) == (None, None, False, False)


def test_smtp_settings_without_airflow(
    monkeypatch: pytest.MonkeyPatch, smtp_server: DevSmtp, project: Path
) -> None:
    """With Airflow absent, the AIRFLOW_CONN_* variable is parsed directly, and a flush with
    no explicit settings uses it."""
    monkeypatch.setitem(sys.modules, "airflow.sdk", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "airflow.models.connection", None)
    monkeypatch.setenv("BAPAS_MAIL_SENDER", "SOP Bapas Jambi <sop@bapas-jambi.example>")
    monkeypatch.setenv("BAPAS_SMTP_CONN_ID", "dev_mail")
    monkeypatch.setenv("AIRFLOW_CONN_DEV_MAIL", smtp_server.uri)

    assert smtp_settings().port == smtp_server.port
    assert smtp_settings().sender == "SOP Bapas Jambi <sop@bapas-jambi.example>"

    _queue(1)
    assert flush().sent == 1

    monkeypatch.setenv(
        "AIRFLOW_CONN_DEV_MAIL",
        '{"conn_type": "smtp", "host": "mx.example", "port": 25, "login": "u",'
        ' "password": "p", "extra": {"from": "a@b.example", "starttls": true}}',
    )
    s = smtp_settings()
    assert (s.host, s.port, s.user, s.starttls, s.sender) == ("mx.example", 25, "u", True,
                                                              "a@b.example")
    monkeypatch.delenv("AIRFLOW_CONN_DEV_MAIL")
    with pytest.raises(LookupError):
        smtp_settings()


@pytest.mark.parametrize("sender", ["sop@bapas", "SOP Bapas <sop@bapas.example", "a,b@c.example", "pémohon@bapas.example"])
def test_a_sender_no_server_would_take_is_named_and_the_email_stays_queued(project: Path, smtp_server: DevSmtp,
                                                                           sender: str, monkeypatch) -> None:
    from urllib.parse import quote

    with pytest.raises(ValueError, match="Alamat pengirim"):
        SmtpSettings.from_uri(f"smtp://127.0.0.1:{smtp_server.port}?from={quote(sender)}")
    keys = _queue(1)
    monkeypatch.setenv("AIRFLOW_CONN_BAPAS_SMTP", f"smtp://127.0.0.1:{smtp_server.port}?from={quote(sender)}")
    result = flush(keys=keys)
    assert result.sent == 0 and "Alamat pengirim" in (result.connection_error or "")
    assert [r.status for r in _rows()] == ["queued"]


def test_a_good_sender_with_a_name_is_taken(smtp_server: DevSmtp) -> None:
    settings = SmtpSettings.from_uri(f"smtp://127.0.0.1:{smtp_server.port}?from=SOP%20Bapas%20%3Csop%40bapas.example%3E")
    assert settings.sender == "SOP Bapas <sop@bapas.example>"
