"""Email: templates rendered to subject/HTML/text, an idempotent outbox sent through one SMTP
connection per batch (yagmail), connection settings from an Airflow Connection, and the local
dev SMTP server with its inbox reader.

The dev-server names are imported on first use: senders do not need aiosmtpd loaded, and
``python -m bapas_sop.mail.devserver`` does not find its module imported twice.
"""

from typing import TYPE_CHECKING, Any

from bapas_sop.mail.connection import SmtpSettings, smtp_settings
from bapas_sop.mail.outbox import (
    Mailing,
    mailing,
    FlushResult,
    MailDeliveryError,
    enqueue,
    enqueue_email,
    flush,
    message_id_for,
)
from bapas_sop.mail.render import RenderedEmail, html_to_text, render_email

if TYPE_CHECKING:
    from bapas_sop.mail.devserver import (
        DevSmtp,
        InboxMessage,
        find_messages,
        read_inbox,
        start_dev_smtp,
    )

_DEVSERVER_NAMES = {"DevSmtp", "InboxMessage", "find_messages", "read_inbox", "start_dev_smtp"}


def __getattr__(name: str) -> Any:
    if name in _DEVSERVER_NAMES:
        from bapas_sop.mail import devserver

        return getattr(devserver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DevSmtp",
    "FlushResult",
    "InboxMessage",
    "MailDeliveryError",
    "Mailing",
    "RenderedEmail",
    "SmtpSettings",
    "enqueue",
    "enqueue_email",
    "find_messages",
    "flush",
    "html_to_text",
    "mailing",
    "message_id_for",
    "read_inbox",
    "render_email",
    "smtp_settings",
    "start_dev_smtp",
]
