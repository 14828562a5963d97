"""HumanTaskHook: the one door from Airflow tasks to form requests and the outbox.

A real Airflow hook, after ``SmtpHook``: the Airflow Connection it owns is the mail server
(``bapas_smtp`` by default, type ``smtp``), the only connection a human step needs besides the
project's own store (configured by ``BAPAS_DB_URL``, not by Airflow). Being a hook gives it
the conn-id conventions operators and admins expect and a :meth:`test_connection` that checks
what a step depends on: the store answers and the mail server accepts a session.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

if TYPE_CHECKING:
    import yagmail

    from bapas_sop.humantask import OpenedRequest
    from bapas_sop.mail.connection import SmtpSettings
    from bapas_sop.mail.outbox import FlushResult


class HumanTaskHook(BaseHook):
    """Opens and reads human steps, and delivers their emails through an SMTP connection.

    :param smtp_conn_id: the Airflow Connection of the mail server (type ``smtp``; extras
        ``ssl``, ``starttls``, ``from``, ``timeout``). Defaults to ``BAPAS_SMTP_CONN_ID``
        (``bapas_smtp``).
    """

    conn_name_attr = "smtp_conn_id"
    default_conn_name = "bapas_smtp"
    conn_type = "smtp"
    hook_name = "Bapas SOP: langkah formulir"

    def __init__(self, smtp_conn_id: str | None = None, **kwargs: Any) -> None:
        from bapas_sop.settings import get_settings

        super().__init__(**kwargs)
        self.smtp_conn_id = smtp_conn_id or get_settings().smtp_conn_id

    # The domain modules are imported on use: DAG files import this hook at parse time, and
    # parsing must stay fast (no pandas, no database layer).

    @property
    def smtp(self) -> SmtpSettings:
        """The mail server's settings, read from the connection each time (it may change)."""
        from bapas_sop.mail.connection import smtp_settings

        return smtp_settings(self.smtp_conn_id)

    @contextmanager
    def get_conn(self) -> Iterator[yagmail.SMTP]:
        """One logged-in SMTP session, closed on exit."""
        from bapas_sop.mail.outbox import open_smtp

        session = open_smtp(self.smtp)
        try:
            yield session
        finally:
            session.close()

    def test_connection(self) -> tuple[bool, str]:
        """What a human step needs: the store answers, the mail server takes a session."""
        try:
            from sqlalchemy import text

            from bapas_sop.store.db import session_scope

            with session_scope() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - reported to the person testing, not raised
            return False, f"Penyimpanan formulir tidak dapat dibaca: {exc}"
        try:
            with self.get_conn() as session:
                code, reply = session.smtp.noop()
        except Exception as exc:  # noqa: BLE001
            return False, f"Server email {self.smtp_conn_id} tidak dapat dihubungi: {exc}"
        if code != 250:
            return False, f"Server email {self.smtp_conn_id} menjawab {code}: {reply.decode(errors='replace')}"
        return True, f"Penyimpanan formulir dan server email {self.smtp_conn_id} siap."

    def open_request(self, **kwargs: Any) -> OpenedRequest:
        """:func:`bapas_sop.humantask.open_request`: the request and its invitation, queued."""
        from bapas_sop import humantask

        return humantask.open_request(**kwargs)

    def poll(self, key: str) -> dict[str, Any]:
        """:func:`bapas_sop.humantask.poll`: the step's outcome, or that it still waits."""
        from bapas_sop import humantask

        return humantask.poll(key)

    def deliver(self, keys: Iterable[str] | None = None) -> FlushResult:
        """Send queued emails now; what cannot be sent stays queued for the sweep to retry."""
        from bapas_sop.mail.outbox import flush

        keys = list(keys) if keys is not None else None
        result = flush(self.smtp, keys=keys)
        if result.failed:
            self.log.warning("%d email(s) not sent yet; they stay queued for the next sweep", result.failed)
        return result
