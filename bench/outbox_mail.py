"""Benchmark of the email outbox (``bapas_sop.mail.outbox``) against yagmail's default use.

Why: a task that emails 300 people through ``yagmail.SMTP(...).send(...)`` opens one SMTP
connection per message (``send`` always calls ``login()``), and when the client is never
closed (the common pattern; a long-running task process keeps its objects alive) each of those
connections stays open until the server times it out. The outbox queues the emails as rows and
``flush()`` sends them all through one connection that it closes. Requirement: 300 emails
through the outbox: 1 SMTP connection for the batch, 0 connections left open, < 3 s on loopback.

One run, on loopback, against the project's own dev SMTP server (``start_dev_smtp``,
aiosmtpd, which counts connections server-side). By default the server runs in a child
process, as in the embedded stack (``python -m bapas_sop.mail.devserver``), so that its work
does not share this process's CPU time and GIL; ``--in-process`` runs it in a thread of this
process, as the tests do (slower figures). Each phase gets its own server and Maildir, so
the counts do not mix:

1. outbox: ``enqueue_email`` (renders ``templates/email/form_request.html``) N distinct
   emails in one transaction into a fresh, migrated SQLite store in a temporary folder,
   then one ``flush()``. Timed separately: enqueue, flush.
2. yagmail default: for each of N emails, render the same template, create
   ``yagmail.SMTP(sender, host=..., port=..., smtp_starttls=False, smtp_ssl=False,
   smtp_skip_login=True)`` and ``.send(...)``; never ``.close()`` (the clients are kept in a
   list so that garbage collection, whose ``__del__`` would close them, does not). Timed
   separately: rendering, connecting and sending. The clients are closed afterwards.

For each phase: SMTP connections opened, connections open when the call returned and after
up to 1 s for the server to see the clients' QUITs ("left open"), messages stored in the
Maildir and their average size as stored (the server adds two ``X-Envelope-*`` lines).
The template is rendered once before timing (Jinja's compile is a once-per-process cost of
neither path). The SMTP settings are parsed from the server's URI (``SmtpSettings.from_uri``)
rather than through ``smtp_settings()``, which would first try to import Airflow (seconds,
once per process). Prints figures only; the exit status is 1 only when the outbox did not
deliver every email.

    .venv/bin/python bench/outbox_mail.py [--count 300] [--in-process]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import yagmail

TARGET_S = 3.0
TEMPLATE = "form_request"
DOMAIN = "bapas-jambi.example"
SETTLE_S = 1.0


# --------------------------------------------------------------------------- SMTP server


class SmtpUnderTest(Protocol):
    """What the benchmark needs of a dev SMTP server (``DevSmtp`` has all of it)."""

    @property
    def uri(self) -> str: ...

    @property
    def connections_opened(self) -> int: ...

    @property
    def connections_open(self) -> int: ...

    def wait_idle(self, timeout: float = 5.0) -> bool: ...

    def stop(self) -> None: ...


def _serve(maildir: str, conn: Connection) -> None:
    """Child process: ``start_dev_smtp`` on a free port, then answer the parent's questions."""
    from bapas_sop.mail.devserver import start_dev_smtp

    server = start_dev_smtp("127.0.0.1", 0, maildir)
    try:
        conn.send(server.port)
        while True:
            command, timeout = conn.recv()
            if command == "stop":
                break
            if command == "wait_idle":
                server.wait_idle(timeout)
            conn.send((server.connections_opened, server.connections_open))
    finally:
        server.stop()
        conn.close()


class ChildSmtp:
    """``start_dev_smtp`` in a child process; its connection counters read over a pipe."""

    def __init__(self, maildir: Path) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        self._conn, child_end = context.Pipe()
        self._process = context.Process(target=_serve, args=(str(maildir), child_end), daemon=True)
        self._process.start()
        child_end.close()
        self.port: int = self._conn.recv()

    @property
    def uri(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?ssl=false&starttls=false"

    def _ask(self, command: str, timeout: float = 0.0) -> tuple[int, int]:
        self._conn.send((command, timeout))
        opened, open_now = self._conn.recv()
        return opened, open_now

    @property
    def connections_opened(self) -> int:
        return self._ask("stats")[0]

    @property
    def connections_open(self) -> int:
        return self._ask("stats")[1]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        return self._ask("wait_idle", timeout)[1] == 0

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", 0.0))
            self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._conn.close()


def start_server(maildir: Path, *, in_process: bool) -> SmtpUnderTest:
    if in_process:
        from bapas_sop.mail.devserver import start_dev_smtp

        return start_dev_smtp("127.0.0.1", 0, maildir)
    return ChildSmtp(maildir)


# --------------------------------------------------------------------------- phases


@dataclass(frozen=True)
class Row:
    """What one phase did. ``prepare_s``: outbox enqueue (render + INSERT + commit), or
    yagmail's rendering; ``deliver_s``: the flush, or yagmail's connect + send; ``cpu_s``: CPU
    time of this process over both (the server's own CPU is not in it unless in-process)."""

    label: str
    prepare_s: float
    deliver_s: float
    cpu_s: float
    opened: int
    open_at_return: int
    left_open: int
    delivered: int
    stored_bytes: int

    @property
    def total_s(self) -> float:
        return self.prepare_s + self.deliver_s


def _setup(directory: Path) -> None:
    """A throw-away project: store, Maildir and secret key under ``directory``."""
    os.environ["BAPAS_VAR_DIR"] = str(directory)
    os.environ["BAPAS_DB_URL"] = f"sqlite:///{directory / 'bapas.db'}"
    os.environ["BAPAS_MAILDIR"] = str(directory / "mail")
    os.environ.setdefault("BAPAS_SECRET_KEY", "bench-secret-key-not-for-production-0123456789")


def _recipient(i: int) -> str:
    return f"pk{i + 1:04d}@{DOMAIN}"


def _contexts(count: int) -> list[dict[str, Any]]:
    """What ``humantask`` passes to ``form_request``: a personal link, a due date, facts."""
    from bapas_sop.settings import get_settings
    from bapas_sop.textid import format_datetime_id

    public_url = get_settings().public_url
    return [
        {
            "name": f"Pembimbing Kemasyarakatan {i + 1}",
            "title": f"Disposisi Litmas LITMAS-2026-{i + 1:05d}",
            "url": f"{public_url}/f/{secrets.token_urlsafe(96)}",
            "due": format_datetime_id(datetime(2026, 11, 2, 16, 0) + timedelta(hours=i % 72)),
            "facts": [
                ["Nomor perkara", f"LITMAS-2026-{i + 1:05d}"],
                ["Klien", f"Klien Uji {i + 1}"],
                ["Instansi peminta", "Polresta Jambi"],
                ["Jenis Litmas", "Sidang anak" if i % 2 else "Pembebasan bersyarat"],
            ],
            "can_hand_over": True,
        }
        for i in range(count)
    ]


def _settle(server: SmtpUnderTest) -> int:
    """Connections still open once the server had up to SETTLE_S to process the QUITs."""
    server.wait_idle(timeout=SETTLE_S)
    return server.connections_open


def _stored(maildir: Path) -> tuple[int, int]:
    """(messages in the Maildir, their average size in bytes)."""
    from bapas_sop.mail.devserver import open_maildir

    box = open_maildir(maildir)
    sizes = [len(box.get_bytes(key)) for key in box.keys()]
    return len(sizes), (sum(sizes) // len(sizes) if sizes else 0)


def run_outbox(count: int, root: Path, *, in_process: bool) -> Row:
    """N ``enqueue_email`` in one transaction, then one ``flush()``."""
    from bapas_sop.mail.connection import SmtpSettings
    from bapas_sop.mail.outbox import enqueue_email, flush
    from bapas_sop.store import migrate, session_scope

    migrate()
    contexts = _contexts(count)
    maildir = root / "mail-outbox"
    server = start_server(maildir, in_process=in_process)
    try:
        settings = SmtpSettings.from_uri(server.uri)
        started, started_cpu = time.perf_counter(), time.process_time()
        with session_scope() as session:
            for i, context in enumerate(contexts):
                enqueue_email(
                    session,
                    key=f"bench:outbox:{i}:{_recipient(i)}:undangan",
                    to=_recipient(i),
                    template=TEMPLATE,
                    context=context,
                )
        enqueued = time.perf_counter()
        result = flush(settings, limit=count)
        flushed, flushed_cpu = time.perf_counter(), time.process_time()
        open_at_return = server.connections_open
        left_open = _settle(server)
        opened = server.connections_opened
        if not result.ok or result.sent != count:
            print(f"outbox flush: {result}", file=sys.stderr)
    finally:
        server.stop()
    delivered, size = _stored(maildir)
    return Row(
        label="outbox (enqueue + flush)",
        prepare_s=enqueued - started,
        deliver_s=flushed - enqueued,
        cpu_s=flushed_cpu - started_cpu,
        opened=opened,
        open_at_return=open_at_return,
        left_open=left_open,
        delivered=delivered,
        stored_bytes=size,
    )


def run_yagmail_default(count: int, root: Path, *, in_process: bool) -> tuple[Row, int]:
    """N times: render, ``yagmail.SMTP(...)``, ``.send(...)``, no ``.close()``.

    Returns the row and the connections still open after the clients were finally closed.
    """
    import yagmail

    from bapas_sop.mail.connection import SmtpSettings
    from bapas_sop.mail.render import render_email

    contexts = _contexts(count)
    maildir = root / "mail-yagmail"
    server = start_server(maildir, in_process=in_process)
    clients: list[yagmail.SMTP] = []  # kept alive: yagmail's __del__ would close them
    try:
        settings = SmtpSettings.from_uri(server.uri)
        render_s = deliver_s = cpu_s = 0.0
        for i, context in enumerate(contexts):
            started, started_cpu = time.perf_counter(), time.process_time()
            rendered = render_email(TEMPLATE, context)
            rendered_at = time.perf_counter()
            yag = yagmail.SMTP(
                settings.envelope_sender,
                host=settings.host,
                port=settings.port,
                smtp_starttls=False,
                smtp_ssl=False,
                smtp_skip_login=True,  # no AUTH on the dev server; else keyring, then getpass
            )
            clients.append(yag)
            yag.send(to=_recipient(i), subject=rendered.subject, contents=rendered.html)
            finished, finished_cpu = time.perf_counter(), time.process_time()
            render_s += rendered_at - started
            deliver_s += finished - rendered_at
            cpu_s += finished_cpu - started_cpu
        open_at_return = server.connections_open
        left_open = _settle(server)
        opened = server.connections_opened
    finally:
        for yag in clients:
            yag.close()
        after_close = _settle(server)
        server.stop()
    delivered, size = _stored(maildir)
    row = Row(
        label="yagmail default (SMTP().send)",
        prepare_s=render_s,
        deliver_s=deliver_s,
        cpu_s=cpu_s,
        opened=opened,
        open_at_return=open_at_return,
        left_open=left_open,
        delivered=delivered,
        stored_bytes=size,
    )
    return row, after_close


# --------------------------------------------------------------------------- report


def _print_table(rows: list[Row]) -> None:
    header = (
        f"{'phase':<31}{'prepare s':>10}{'deliver s':>10}{'total s':>9}{'CPU s':>7}"
        f"{'conn opened':>12}{'open at return':>15}{'left open':>10}"
        f"{'delivered':>10}{'avg bytes':>10}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.label:<31}{row.prepare_s:>10.3f}{row.deliver_s:>10.3f}{row.total_s:>9.3f}"
            f"{row.cpu_s:>7.2f}"
            f"{row.opened:>12}{row.open_at_return:>15}{row.left_open:>10}{row.delivered:>10}"
            f"{row.stored_bytes:>10}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="emails per phase (default 300)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the SMTP server in a thread of this process (as the tests do)",
    )
    args = parser.parse_args(argv)
    count: int = args.count
    in_process: bool = args.in_process

    with tempfile.TemporaryDirectory(prefix="bapas-bench-mail-") as tmp:
        root = Path(tmp)
        _setup(root)
        from bapas_sop.mail.render import render_email

        render_email(TEMPLATE, _contexts(1)[0])  # compile the template outside the timings
        outbox = run_outbox(count, root, in_process=in_process)
        yag, after_close = run_yagmail_default(count, root, in_process=in_process)

    where = "in this process (thread)" if in_process else "in a child process"
    print(
        f"{count} emails per phase ({TEMPLATE}.html), loopback, aiosmtpd dev server {where}; "
        f"Python {platform.python_version()}, yagmail {version('yagmail')}, "
        f"aiosmtpd {version('aiosmtpd')}, SQLAlchemy {version('sqlalchemy')}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    _print_table([outbox, yag])
    print(
        "prepare = outbox: render + INSERT + commit; yagmail: render.  deliver = outbox: flush(); "
        f"yagmail: SMTP() + send().  CPU = this process only.  left open = after up to "
        f"{SETTLE_S:.0f} s for QUITs to arrive."
    )
    print(f"yagmail clients closed afterwards: {after_close} connection(s) still open")
    met = outbox.opened == 1 and outbox.left_open == 0 and outbox.total_s < TARGET_S
    print(
        f"target (outbox): 1 connection, 0 left open, < {TARGET_S:.0f} s -> "
        f"{outbox.opened} connection(s), {outbox.left_open} left open, {outbox.total_s:.2f} s: "
        f"{'met' if met else 'NOT met'}"
    )
    if outbox.delivered != count:
        print(f"outbox delivered {outbox.delivered} of {count} emails", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
