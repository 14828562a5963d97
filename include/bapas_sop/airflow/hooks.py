"""HumanTaskHook: the one door from Airflow tasks to form requests and the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from typing import TYPE_CHECKING

from airflow.sdk import BaseHook

if TYPE_CHECKING:
    from bapas_sop.humantask import OpenedRequest
    from bapas_sop.mail.outbox import FlushResult


class HumanTaskHook(BaseHook):
    """Opens and reads human steps, and delivers their emails through an SMTP connection.

    :param smtp_conn_id: the Airflow Connection of the mail server (type ``smtp``; extras
        ``ssl``, ``starttls``, ``from``). Defaults to ``BAPAS_SMTP_CONN_ID`` (``bapas_smtp``).
    """

    conn_name_attr = "smtp_conn_id"
    hook_name = "Bapas human steps"

    def __init__(self, smtp_conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.smtp_conn_id = smtp_conn_id

    # The domain modules are imported on use: DAG files import this hook at parse time, and
    # parsing must stay fast (no pandas, no database layer).
    def open_request(self, **kwargs: Any) -> OpenedRequest:
        from bapas_sop import humantask

        return humantask.open_request(**kwargs)

    def poll(self, key: str) -> dict[str, Any]:
        from bapas_sop import humantask

        return humantask.poll(key)

    def deliver(self, keys: Iterable[str] | None = None) -> FlushResult:
        """Send queued emails now; what cannot be sent stays queued for the sweep to retry."""
        from bapas_sop.mail.connection import smtp_settings
        from bapas_sop.mail.outbox import flush

        keys = list(keys) if keys is not None else None
        result = flush(smtp_settings(self.smtp_conn_id), keys=keys)
        if result.failed:
            self.log.warning("%d email(s) not sent yet; they stay queued for the next sweep", result.failed)
        return result
