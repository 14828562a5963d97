"""The local SMTP server of the embedded default, and a reader of what it received.

Nothing leaves the machine: every message is stored in a Maildir (``get_settings().maildir``),
which the admin inbox page lists so that a person trying the system can open the emailed
links, and which tests read to click them. The server counts SMTP connections so that tests
and benchmarks can check that a batch really went through one connection.

Run it in the foreground (stops on SIGTERM or Ctrl-C)::

    python -m bapas_sop.mail.devserver --host 127.0.0.1 --port 2525 --maildir var/mail
"""

from __future__ import annotations

import argparse
import mailbox
import re
import signal
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bapas_sop.settings import get_settings

SERVER_NAME = "bapas-sop-dev"
TEMPFAIL_REPLY = "451 4.3.0 Server sedang menolak pesan untuk sementara (mode uji), coba lagi nanti"
REFUSED_REPLY = "550 5.1.1 Alamat penerima ditolak (mode uji)"


def open_maildir(path: Path | str) -> mailbox.Maildir:
    """The Maildir at ``path``, created with its parents (``mailbox`` creates one level only)."""
    root = Path(path)
    for sub in ("tmp", "new", "cur"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(root, factory=None, create=False)


# --------------------------------------------------------------------------- server


class _ConnectionCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.opened = 0
        self.open = 0

    def connected(self) -> None:
        with self._lock:
            self.opened += 1
            self.open += 1

    def disconnected(self) -> None:
        with self._lock:
            self.open -= 1

    def reset_opened(self) -> None:
        with self._lock:
            self.opened = 0


class MaildirHandler:
    """aiosmtpd handler: stores each message, or refuses it when told to (for tests).

    ``fail`` answers every DATA with a 451 temporary error; ``refuse`` holds recipient
    addresses answered with 550 at RCPT. The envelope recipients are kept in an
    ``X-Envelope-To`` header, since Bcc recipients appear nowhere else.
    """

    def __init__(self, maildir: Path, *, fail: bool = False) -> None:
        self.maildir = Path(maildir)
        self.fail = fail
        self.refuse: set[str] = set()
        self.received = 0
        open_maildir(self.maildir)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in {a.lower() for a in self.refuse}:
            return REFUSED_REPLY
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.fail:
            return TEMPFAIL_REPLY
        content = envelope.original_content or b""
        trace = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode("utf-8")
        open_maildir(self.maildir).add(trace + content)
        self.received += 1
        return "250 2.0.0 OK pesan disimpan"


class _CountingSMTP(SMTP):
    def __init__(self, handler: Any, *, counter: _ConnectionCounter, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._counter = counter

    def connection_made(self, transport: Any) -> None:
        is_new = self._original_transport is None  # STARTTLS re-enters with the same session
        super().connection_made(transport)
        if is_new:
            self._counter.connected()

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        self._counter.disconnected()


class _Controller(Controller):
    def __init__(self, handler: MaildirHandler, counter: _ConnectionCounter, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._counter = counter

    def factory(self) -> SMTP:
        return _CountingSMTP(self.handler, counter=self._counter, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        # Port 0 asks the OS for a free port; learn it before aiosmtpd connects to itself.
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class DevSmtp:
    """A running dev SMTP server. ``fail`` and ``refuse`` can be changed while it runs."""

    def __init__(
        self, controller: _Controller, handler: MaildirHandler, counter: _ConnectionCounter
    ) -> None:
        self._controller = controller
        self._handler = handler
        self._counter = counter

    @property
    def host(self) -> str:
        return self._controller.hostname

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def maildir(self) -> Path:
        return self._handler.maildir

    @property
    def uri(self) -> str:
        """An Airflow connection URI that reaches this server (no auth, no TLS)."""
        return f"smtp://{self.host}:{self.port}?ssl=false&starttls=false"

    @property
    def connections_opened(self) -> int:
        """SMTP sessions opened since start (aiosmtpd's own start-up probe not counted)."""
        return self._counter.opened

    @property
    def connections_open(self) -> int:
        return self._counter.open

    @property
    def messages_received(self) -> int:
        return self._handler.received

    @property
    def fail(self) -> bool:
        return self._handler.fail

    @fail.setter
    def fail(self, value: bool) -> None:
        self._handler.fail = value

    @property
    def refuse(self) -> set[str]:
        return self._handler.refuse

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no connection is open (a client's QUIT is processed asynchronously)."""
        deadline = time.monotonic() + timeout
        while self._counter.open > 0:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> DevSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_dev_smtp(
    host: str = "127.0.0.1",
    port: int = 0,
    maildir: Path | str | None = None,
    *,
    fail: bool = False,
) -> DevSmtp:
    """Start the server in a background thread; ``port=0`` picks a free port (see ``.port``)."""
    counter = _ConnectionCounter()
    handler = MaildirHandler(Path(maildir) if maildir else get_settings().maildir, fail=fail)
    # A fixed server name: aiosmtpd's default, socket.getfqdn(), can wait on DNS for seconds.
    controller = _Controller(
        handler, counter, hostname=host, port=port, server_hostname=SERVER_NAME
    )
    controller.start()
    server = DevSmtp(controller, handler, counter)
    # aiosmtpd connects to itself once to check it is up; that is not a client session.
    server.wait_idle(timeout=2.0)
    counter.reset_opened()
    return server


# --------------------------------------------------------------------------- inbox


@dataclass(frozen=True)
class InboxMessage:
    id: str
    date: datetime
    sender: str
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    html: str
    message_id: str
    links: list[str]
    attachments: list[str]
    envelope_to: list[str]


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            if href.lower().startswith(("http://", "https://")):
                self.links.append(href)


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"')\]]+")


def _links(html: str, text: str) -> list[str]:
    """http(s) links of the HTML part, then any others written out in the text part."""
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    found = collector.links + [m.rstrip(".,;:") for m in _URL_IN_TEXT.findall(text)]
    return list(dict.fromkeys(found))


def _body(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return ""
    return str(part.get_content()).replace("\r\n", "\n")


def _addresses(msg: EmailMessage, header: str) -> list[str]:
    return [addr for _name, addr in getaddresses(msg.get_all(header, [])) if addr]


_KEY_TIME = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)")


def _delivery_order(key: str) -> tuple[int, int, int]:
    """Python's Maildir keys begin with the delivery time (``<sec>.M<usec>P<pid>Q<n>``): a
    finer order than the one-second ``Date`` header."""
    match = _KEY_TIME.match(key)
    return (int(match[1]), int(match[2]), int(match[3])) if match else (0, 0, 0)


def _parse(key: str, raw: bytes, delivered: float) -> InboxMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    try:
        date = parsedate_to_datetime(str(msg["Date"]))
    except (TypeError, ValueError):
        date = datetime.fromtimestamp(delivered, timezone.utc)
    text, html = _body(msg, "plain"), _body(msg, "html")
    return InboxMessage(
        id=key,
        date=date,
        sender=str(msg.get("From", "")),
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        subject=" ".join(str(msg.get("Subject", "")).split()),  # unfold long headers
        text=text,
        html=html,
        message_id=str(msg.get("Message-ID", "")).strip(),
        links=_links(html, text),
        attachments=[part.get_filename() or "" for part in msg.iter_attachments()],
        envelope_to=[a.strip() for a in str(msg.get("X-Envelope-To", "")).split(",") if a.strip()],
    )


def read_inbox(maildir: Path | str | None = None) -> list[InboxMessage]:
    """Every message in the Maildir, newest first."""
    box = open_maildir(maildir or get_settings().maildir)
    entries = []
    for key in box.keys():
        try:
            raw = box.get_bytes(key)
        except KeyError:  # removed meanwhile
            continue
        order = _delivery_order(key)
        entries.append((order, _parse(key, raw, order[0] + order[1] / 1e6)))
    entries.sort(key=lambda item: (item[0], item[1].date.timestamp()), reverse=True)
    return [message for _order, message in entries]


def find_messages(
    maildir: Path | str | None = None,
    to: str | None = None,
    subject_contains: str | None = None,
) -> list[InboxMessage]:
    """Messages for ``to`` (To, Cc or envelope) whose subject contains ``subject_contains``
    (both case-insensitive), newest first."""
    found = []
    for message in read_inbox(maildir):
        recipients = {a.lower() for a in message.to + message.cc + message.envelope_to}
        if to is not None and to.lower() not in recipients:
            continue
        if subject_contains is not None and subject_contains.lower() not in message.subject.lower():
            continue
        found.append(message)
    return found


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Server SMTP lokal untuk pengembangan bapas-sop.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", type=Path, default=None, help="default: BAPAS_MAILDIR")
    parser.add_argument("--fail", action="store_true", help="tolak semua pesan dengan 451 (uji)")
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server = start_dev_smtp(args.host, args.port, args.maildir, fail=args.fail)
    print(
        f"Server SMTP pengembangan berjalan di {server.host}:{server.port}; "
        f"pesan disimpan di {server.maildir}",
        flush=True,
    )
    try:
        stop.wait()
    finally:
        server.stop()
        print("Server SMTP pengembangan dihentikan.", flush=True)


if __name__ == "__main__":
    main()
