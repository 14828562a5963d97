"""The idempotent outbox: every email is a row first, and is sent at most once per key.

**The one way a flow sends email** (:func:`mailing`): open a mailing, record what happened and
queue the emails that announce it in the same transaction (``batch.email(...)``, or
``batch.include(keys)`` for emails a core call such as :func:`bapas_sop.humantask.open_request`
queued); when the block ends the transaction commits and exactly those keys are sent. Nothing
checks for a key first: :func:`enqueue_email` returns the existing row. A send that fails
leaves the rows queued for the ``langkah_manusia`` sweep, so a task never fails over mail. A retried task finds its rows (same keys) and enqueues nothing new; a row that is
already sent is never sent again; a failed send stays queued and a later flush retries it.

Rows move ``queued -> sending -> sent``. ``sending`` is a claim taken (and committed) before
any SMTP traffic, so two flushers running at the same time never send the same row. The
claim time is ``claimed_at``; a claim older than :data:`CLAIM_TIMEOUT` (a flusher that
crashed mid-batch) goes back to ``queued``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import smtplib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yagmail
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bapas_sop import audit
from bapas_sop.email_address import unsendable_reason
from bapas_sop.mail.connection import SmtpSettings, smtp_settings
from bapas_sop.mail.render import render_email
from bapas_sop.settings import TIMEZONE
from bapas_sop.store.db import session_scope, upsert_dialect_insert
from bapas_sop.store.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

QUEUED, SENDING, SENT = "queued", "sending", "sent"
#: Permanent: the message can never be sent (an address SMTP cannot encode); never retried.
FAILED = "failed"
CLAIM_TIMEOUT = timedelta(minutes=10)
ACTOR = "system"

AddressList = str | Sequence[str]
Attachments = Mapping[str, bytes | str | Path] | Sequence[str | Path]


# --------------------------------------------------------------------------- enqueue


def message_id_for(key: str) -> str:
    """A Message-ID derived from the key: the same email keeps the same id across retries,
    so a receiving server or client can recognise a duplicate if one ever gets through."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@bapas-sop>"


def _address_header(value: AddressList | None) -> str | None:
    """Join addresses; a CR/LF in an address would let it write its own headers and is refused.

    Any other bad address (``bukan-alamat``, ``a,b@c.example``) is kept: :func:`_unsendable`
    fails its email for good with the reason, shown on the outbox page, the same whichever door
    the address came in through (a form, a CSV table, a flow's own data).
    """
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    items = [item.strip() for item in items if item and item.strip()]
    if not items:
        return None
    for item in items:
        if "\r" in item or "\n" in item:
            raise ValueError(f"line break in email address: {item!r}")
    return ", ".join(items)


def _recipients(*headers: str | None) -> list[str]:
    return [addr for _name, addr in getaddresses([h for h in headers if h]) if addr]


def _encode_attachments(attachments: Attachments | None) -> dict[str, Any]:
    """Store attachment bytes in the row, read once at enqueue time.

    Keeping only a path would break when the flush runs on another worker (Celery) or after
    the file was cleaned up; the row must be enough to send the email.
    """
    if not attachments:
        return {}
    items: Iterable[tuple[str, bytes | str | Path]]
    if isinstance(attachments, Mapping):
        items = attachments.items()
    else:
        items = ((Path(p).name, p) for p in attachments)
    files = []
    for filename, source in items:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        files.append(
            {
                "filename": filename,
                "content_type": content_type,
                "data": base64.b64encode(data).decode("ascii"),
            }
        )
    return {"files": files}


def _by_key(session: Session, key: str) -> OutboxMessage | None:
    return session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))


def enqueue(
    session: Session,
    *,
    key: str,
    to: AddressList,
    subject: str,
    html: str,
    text: str,
    cc: AddressList | None = None,
    attachments: Attachments | None = None,
) -> OutboxMessage:
    """Queue one email under ``key`` (run, step, recipient, purpose), or return the row that
    already has that key, unchanged: a retried task never sends twice.

    The row joins the caller's transaction (the caller commits; a rollback drops it). Two
    processes enqueueing the same key at once both end up with the one row (see
    :func:`_insert_once`).
    """
    existing = _by_key(session, key)
    if existing is not None:
        return existing
    return _insert_new(session, key=key, to=to, subject=subject, html=html, text=text, cc=cc,
                       attachments=attachments)


def _insert_new(
    session: Session,
    *,
    key: str,
    to: AddressList,
    subject: str,
    html: str,
    text: str,
    cc: AddressList | None,
    attachments: Attachments | None,
) -> OutboxMessage:
    """The row for a key the caller just found missing (or, after a race, the winner's row)."""
    to_header = _address_header(to)
    if not to_header:
        raise ValueError(f"email {key!r} has no recipient")
    values: dict[str, Any] = {
        "key": key,
        "to_addr": to_header,
        "cc_addr": _address_header(cc),
        "subject": " ".join(subject.split()),
        "html": html,
        "text": text,
        "attachments": _encode_attachments(attachments),
        "status": QUEUED,
        "attempts": 0,
        "created_at": utcnow(),
        "message_id": message_id_for(key),
    }
    problem = _unsendable(to, cc)
    if problem:
        # Kept (the announcement is recorded) but failed for good, loudly: retrying an address
        # SMTP cannot carry would keep it "queued" forever while the flow believes it sent.
        values.update(status=FAILED, last_error=problem)
    message = _insert_once(session, values) or _by_key(session, key)
    if message is None:  # pragma: no cover - the row was just inserted or found
        raise RuntimeError(f"outbox row {key!r} vanished after insert")
    if problem and message.status == FAILED and message.last_error == problem:
        log.error("email %s can never be sent: %s", key, problem)
        _audit(session, "email_undeliverable", message, error=problem)
    return message


def _unsendable(*headers: AddressList | None) -> str | None:
    """Why these recipients can never be sent to (see :func:`bapas_sop.email_address.unsendable_reason`).

    Each item of a header is judged whole (``a,b@c.example`` is one bad item, not two
    recipients): an item that reads as no address or as several is refused.
    """
    problems = []
    for value in headers:
        items = [value] if isinstance(value, str) else list(value or ())
        for item in (i.strip() for i in items if i and i.strip()):
            addresses = [addr for _name, addr in getaddresses([item])]
            if len(addresses) != 1 or not addresses[0]:
                problems.append(f"{item!r}: bukan satu alamat email.")
            elif unsendable_reason(addresses[0]):
                problems.append(f"{item!r}: alamat email tidak valid.")
    return f"alamat tidak dapat dikirim (permanen): {'; '.join(problems)}" if problems else None


def _unsendable_stored(*headers: str | None) -> str | None:
    """:func:`_unsendable` for a row already in the outbox, whose addresses are one joined header."""
    problems = [p for addr in _recipients(*headers) if (p := unsendable_reason(addr))]
    return f"alamat tidak dapat dikirim (permanen): {'; '.join(problems)}" if problems else None


def _insert_once(session: Session, values: dict[str, Any]) -> OutboxMessage | None:
    """INSERT unless the key exists, without failing the caller's transaction on a race.

    ``INSERT .. ON CONFLICT (key) DO NOTHING`` (SQLite and PostgreSQL, the two databases of
    the project) waits for a concurrent insert of the same key and then does nothing. Not a
    SAVEPOINT around a plain INSERT: with pysqlite's default transaction handling no BEGIN
    precedes a SAVEPOINT, so when the enqueue is the transaction's first write,
    ``RELEASE SAVEPOINT`` would commit the caller's transaction early.
    """
    insert = upsert_dialect_insert(session)
    statement = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=[OutboxMessage.key])
    # The new row comes back from RETURNING; nothing comes back when another process won.
    return session.scalars(statement.returning(OutboxMessage)).first()


def enqueue_email(
    session: Session,
    *,
    key: str,
    to: AddressList,
    template: str,
    context: dict[str, Any],
    cc: AddressList | None = None,
    attachments: Attachments | Callable[[], Attachments] | None = None,
) -> OutboxMessage:
    """Render the email template ``template`` (``templates/email/<name>.html``, or an SOP's
    ``templates/<sop>/email/<name>.html`` for ``<sop>/<name>``) and enqueue it under ``key``.

    An existing key returns early, before rendering: a retry does not depend on the template
    still rendering the same way. ``attachments`` may be a function (a PDF to print): it is
    called only when the key is new.
    """
    existing = _by_key(session, key)
    if existing is not None:
        return existing
    if callable(attachments):
        attachments = attachments()
    rendered = render_email(template, context)
    return _insert_new(
        session,
        key=key,
        to=to,
        cc=cc,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        attachments=attachments,
    )


@dataclass
class Mailing:
    """The emails of one transaction: queued with it, sent once it has committed.

    :param session: the transaction the emails join (records and emails commit together).
    """

    session: Session
    keys: list[str] = field(default_factory=list)
    #: What the send after the commit gave (None until then, or when nothing was queued).
    result: FlushResult | None = None
    _new: set[str] = field(default_factory=set, repr=False)

    def email(
        self,
        *,
        key: str,
        to: AddressList,
        template: str,
        context: dict[str, Any],
        cc: AddressList | None = None,
        attachments: Attachments | Callable[[], Attachments] | None = None,
    ) -> OutboxMessage:
        """Queue one email under ``key`` (see :func:`enqueue_email`) to be sent after the commit."""
        if _by_key(self.session, key) is None:
            self._new.add(key)
        message = enqueue_email(self.session, key=key, to=to, template=template, context=context, cc=cc,
                                attachments=attachments)
        self.include([key])
        return message

    def is_new(self, key: str) -> bool:
        """Whether this mailing queued ``key`` for the first time (not a retry finding its row):
        what a flow records once per email, it records when this is true."""
        return key in self._new

    def include(self, keys: Iterable[str]) -> None:
        """Also send these already queued keys (queued by a core call in this transaction)."""
        self.keys.extend(k for k in keys if k not in self.keys)


@contextmanager
def mailing() -> Iterator[Mailing]:
    """A transaction whose emails are sent when it commits (nothing is sent if it fails).

    ::

        with mailing() as batch:
            record_something(batch.session)
            batch.email(key=f"{run_id}/pengumuman/{nip}", to=person.email, template="sop/pengumuman", context={...})
        # committed; sent now, or queued for the sweep if the mail server is down
    """
    with session_scope() as session:
        batch = Mailing(session)
        yield batch
    if batch.keys:
        batch.result = flush(keys=batch.keys)


# --------------------------------------------------------------------------- MIME


def build_mime(message: OutboxMessage, sender: str) -> Message:
    """multipart/alternative (our text part, then the HTML part), inside multipart/mixed when
    there are attachments; UTF-8 headers encoded per RFC 2047; our deterministic Message-ID.

    Built with the stdlib rather than ``yagmail.SMTP.prepare_send`` because yagmail (0.16)
    cannot produce this: its text part is the raw HTML source, every extra text content is
    appended to the HTML part too (so there is no way to give a separate text part), it
    turns ``\\n`` into ``<br>`` in unmarked contents, runs premailer over the HTML, attaches
    any content string that happens to be an existing file path, and writes the login user
    (``@gmail.com`` appended when it has no ``@``) as ``From``.

    The ``email.mime`` classes (the compat32 API), not ``EmailMessage``: the modern API parses
    every header it is given through the header registry, which made building the message the
    largest cost of a flush (2.5 ms of about 5 ms per email). Our headers are already known to
    be well formed (:func:`_address_header` checked them at enqueue), so they are only encoded.
    """
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(message.text, "plain", _UTF8_QP))
    body.attach(MIMEText(message.html, "html", _UTF8_QP))
    files = (message.attachments or {}).get("files", [])
    mime: Message = body
    if files:
        mime = MIMEMultipart("mixed")
        mime.attach(body)
        for item in files:
            maintype, _, subtype = item["content_type"].partition("/")
            part = MIMEBase(maintype, subtype or "octet-stream")
            part.set_payload(base64.b64decode(item["data"]))
            encode_base64(part)  # in 76-character lines: SMTP refuses lines over 998
            filename = item["filename"]
            part.add_header("Content-Disposition", "attachment",
                            filename=filename if filename.isascii() else ("utf-8", "", filename))
            mime.attach(part)
    mime["From"] = _encoded_addresses(sender)
    mime["To"] = _encoded_addresses(message.to_addr)
    if message.cc_addr:
        mime["Cc"] = _encoded_addresses(message.cc_addr)
    mime["Subject"] = message.subject if message.subject.isascii() else Header(message.subject, "utf-8", header_name="Subject")
    mime["Date"] = format_datetime(datetime.now(ZoneInfo(TIMEZONE)))
    mime["Message-ID"] = message.message_id
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to robots
    return mime


def _utf8_quoted_printable() -> Charset:
    """UTF-8 bodies as quoted-printable: readable in the raw message, short for Indonesian text."""
    charset = Charset("utf-8")
    charset.body_encoding = QP
    return charset


_UTF8_QP = _utf8_quoted_printable()


def _encoded_addresses(header: str) -> str:
    """``Nama <addr>, ...`` with any non-ASCII display name as an RFC 2047 encoded word."""
    if header.isascii():
        return header
    return ", ".join(formataddr((name, addr), charset="utf-8") for name, addr in getaddresses([header]))


# --------------------------------------------------------------------------- flush


@dataclass(frozen=True)
class FlushResult:
    """What one flush did. ``remaining`` counts rows still queued (within ``keys`` if given);
    ``connection_error`` is set when the SMTP connection could not be opened or was lost."""

    sent: int
    failed: int
    remaining: int
    connection_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.connection_error is None


class MailDeliveryError(RuntimeError):
    """Raised by ``flush(raise_on_error=True)`` after the failures were recorded."""

    def __init__(self, result: FlushResult) -> None:
        reason = result.connection_error or f"{result.failed} email(s) failed"
        super().__init__(f"email delivery failed: {reason} ({result.remaining} still queued)")
        self.result = result


def _key_filter(keys: Sequence[str] | None) -> list[Any]:
    return [OutboxMessage.key.in_(list(keys))] if keys is not None else []


def _release_stale_claims(now: datetime) -> None:
    """Rows claimed by a flusher that died more than CLAIM_TIMEOUT ago are queued again."""
    with session_scope() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == SENDING, OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
            .values(status=QUEUED, claimed_at=None)
        )


def _claim(keys: Sequence[str] | None, limit: int, now: datetime) -> list[OutboxMessage]:
    """Mark up to ``limit`` queued rows as ours and commit before any SMTP traffic.

    The UPDATE re-checks ``status = 'queued'``, so a row another flusher claimed in the
    meantime is skipped (PostgreSQL re-evaluates the condition on the locked row; SQLite has
    one writer at a time).
    """
    with session_scope() as session:
        candidates = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == QUEUED, *_key_filter(keys))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .scalar_subquery()
        )
        ids = session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), OutboxMessage.status == QUEUED)
            .values(status=SENDING, claimed_at=now)
            .returning(OutboxMessage.id)
        ).all()
    if not ids:
        return []
    with session_scope() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
        ).all()
        session.expunge_all()
    return list(rows)


def _audit(session: Session, action: str, message: OutboxMessage, **detail: Any) -> None:
    audit.record(
        session,
        actor=ACTOR,
        action=action,
        subject=message.key,
        to=message.to_addr,
        message_id=message.message_id,
        **detail,
    )


def _mark_sent(session: Session, message: OutboxMessage, refused: dict[str, Any]) -> None:
    """Record one sent email and commit it at once (the caller's session, reused per batch)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(
            status=SENT,
            sent_at=utcnow(),
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
        )
    )
    detail: dict[str, Any] = {"attempt": message.attempts + 1}
    if refused:
        detail["refused"] = {addr: str(reply) for addr, reply in refused.items()}
    _audit(session, "email_sent", message, **detail)
    # One commit per email: a crash between two sends leaves only the one in flight unrecorded.
    session.commit()


def _mark_failed(messages: Sequence[OutboxMessage], error: str, *, count_attempt: bool) -> None:
    """Back to ``queued`` with the error; ``count_attempt`` False for rows never tried (the
    connection was lost before their turn), which get no audit row either."""
    with session_scope() as session:
        for message in messages:
            values: dict[str, Any] = {"status": QUEUED, "claimed_at": None, "last_error": error}
            if count_attempt:
                values["attempts"] = OutboxMessage.attempts + 1
                _audit(session, "email_failed", message, error=error, attempt=message.attempts + 1)
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values)
            )


def _mark_undeliverable(message: OutboxMessage, error: str) -> None:
    """``failed`` for good, with the reason; the sweep never claims it again."""
    log.error("email %s can never be sent: %s", message.key, error)
    with session_scope() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message.id)
            .values(status=FAILED, claimed_at=None, last_error=error, attempts=OutboxMessage.attempts + 1)
        )
        _audit(session, "email_undeliverable", message, error=error)


def _count_queued(keys: Sequence[str] | None) -> int:
    with session_scope() as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == QUEUED, *_key_filter(keys))
        ) or 0


def _reply_text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _describe(exc: BaseException) -> str:
    """One line for ``last_error`` and the audit: the SMTP code and the server's words."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_reply_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{addr}: {code} {_reply_text(msg)}" for addr, (code, msg) in exc.recipients.items()
        ]
        return f"SMTPRecipientsRefused: {'; '.join(parts)}"
    return f"{type(exc).__name__}: {exc}"


def _connection_lost(exc: BaseException) -> bool:
    """A refused message leaves the SMTP session usable (smtplib sends RSET); a dropped
    connection, a reset or a timeout does not. ``SMTPException`` subclasses ``OSError``,
    hence the order of the checks."""
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):
        return False
    return isinstance(exc, OSError)


def open_smtp(settings: SmtpSettings) -> yagmail.SMTP:
    """Connect (and STARTTLS, and log in) once; the caller sends many messages and closes.

    yagmail quirks worked around here: ``SMTP.send`` opens a new connection for every
    message (and leaves the old one open), so we call ``login()`` once and send on
    ``yag.smtp``; with no password yagmail asks the keyring and then ``getpass`` (a task would
    hang), and it appends ``@gmail.com`` to a login without ``@`` — so yagmail always gets
    ``smtp_skip_login=True`` and we authenticate on the smtplib connection ourselves, only
    when a user is configured (the local dev server has no auth). ``smtp_starttls`` is always
    passed explicitly: yagmail's default is STARTTLS whenever SSL is off.
    """
    yag = yagmail.SMTP(
        user=settings.envelope_sender,
        password=None,
        host=settings.host,
        port=settings.port,
        smtp_ssl=settings.use_ssl,
        smtp_starttls=settings.starttls,
        smtp_skip_login=True,
        soft_email_validation=False,
        timeout=settings.timeout,
    )
    try:
        yag.login()
        if settings.user:
            yag.smtp.login(settings.user, settings.password or "")
    except BaseException:
        yag.close()
        raise
    return yag


def flush(
    settings: SmtpSettings | None = None,
    *,
    keys: Sequence[str] | None = None,
    limit: int = 500,
    raise_on_error: bool = False,
) -> FlushResult:
    """Send queued emails (only ``keys`` if given) through one SMTP connection, then close it.

    Each sent row is committed on its own, so a crash loses at most the one in flight (which
    stays ``sending`` and is retried after CLAIM_TIMEOUT). A refused message stays queued
    with ``attempts + 1`` and ``last_error`` and the batch goes on; if the connection cannot
    be opened (or drops), the rows stay queued and the result says why. Nothing is raised
    unless ``raise_on_error`` — and then only after everything was recorded.
    """
    now = utcnow()
    _release_stale_claims(now)
    claimed = _claim(keys, limit, now)
    sent = failed = 0
    connection_error: str | None = None
    if claimed:
        try:
            settings = settings or smtp_settings()
            yag = open_smtp(settings)
        except Exception as exc:  # noqa: BLE001 - recorded on every row, reported in result
            connection_error = _describe(exc)
            log.warning(
                "SMTP connection failed, %d email(s) stay queued: %s",
                len(claimed),
                connection_error,
            )
            _mark_failed(claimed, connection_error, count_attempt=True)
            failed = len(claimed)
        else:
            with yag:
                sent, failed, connection_error = _send_batch(yag, settings, claimed)
    result = FlushResult(sent, failed, _count_queued(keys), connection_error)
    if claimed:
        log.info("outbox flush: %s", result)
    if raise_on_error and not result.ok:
        raise MailDeliveryError(result)
    return result


def _send_batch(
    yag: yagmail.SMTP, settings: SmtpSettings, messages: Sequence[OutboxMessage]
) -> tuple[int, int, str | None]:
    sent = failed = 0
    with session_scope() as records:
        for index, message in enumerate(messages):
            problem = _unsendable_stored(message.to_addr, message.cc_addr)
            if problem:  # a row queued before the check existed: fail it for good
                _mark_undeliverable(message, problem)
                failed += 1
                continue
            try:
                mime = build_mime(message, settings.sender)
                refused = yag.smtp.send_message(
                    mime,
                    from_addr=settings.envelope_sender,
                    to_addrs=_recipients(message.to_addr, message.cc_addr),
                )
            except Exception as exc:  # noqa: BLE001 - recorded on the row, the batch goes on
                error = _describe(exc)
                _mark_failed([message], error, count_attempt=True)
                failed += 1
                if _connection_lost(exc) or getattr(yag.smtp, "sock", None) is None:
                    # The rest were never tried: back to the queue untouched, for the next flush.
                    _mark_failed(messages[index + 1 :], error, count_attempt=False)
                    return sent, failed, error
            else:
                _mark_sent(records, message, refused)
                sent += 1
    return sent, failed, None
