"""SMTP connection settings, read from an Airflow Connection (default id: ``bapas_smtp``).

The connection is the one place where an operator configures mail, in the Airflow UI, a
secrets backend or an ``AIRFLOW_CONN_BAPAS_SMTP`` environment variable. The same settings are
also needed outside tasks (the API server's web app, tests, scripts with no Airflow
initialised), so :func:`smtp_settings` degrades from the Task SDK to Airflow's models to
parsing the environment variable itself.

URI form (extras ``ssl``, ``starttls``, ``from``, ``timeout`` as query parameters)::

    smtp://user:password@host:587?ssl=false&starttls=true&from=Bapas%20Jambi%20%3Csop%40bapas.example%3E
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from email.utils import getaddresses
from urllib.parse import parse_qsl, unquote, urlsplit

from bapas_sop.email_address import unsendable_reason
from bapas_sop.settings import get_settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def _as_bool(value: Any, default: bool) -> bool:
    """Extras arrive as bools (Airflow models) or as strings (URI query, Task SDK)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean connection extra: {value!r}")


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server and whom the mail is from.

    ``user`` None means the server takes mail without authentication (the local dev server).
    ``password`` is kept out of ``repr`` so that it never lands in a log line.
    """

    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    use_ssl: bool = False
    starttls: bool = False
    sender: str = ""
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def build(
        cls,
        *,
        host: str | None,
        port: int | str | None,
        user: str | None,
        password: str | None,
        extras: Mapping[str, Any],
        scheme: str = "smtp",
    ) -> SmtpSettings:
        """Apply the defaults shared by every source of settings.

        Unless the extras say otherwise: implicit TLS for ``smtps://`` or port 465, STARTTLS
        on port 587, plain SMTP elsewhere (yagmail would default to STARTTLS, which the local
        dev server does not offer). The sender falls back to ``BAPAS_MAIL_SENDER``.
        """
        if not host:
            raise ValueError("SMTP connection has no host")
        port_num = int(port) if port not in (None, "") else None
        use_ssl = _as_bool(extras.get("ssl"), scheme == "smtps" or port_num == 465)
        starttls = _as_bool(extras.get("starttls"), not use_ssl and port_num == 587)
        if port_num is None:
            port_num = 465 if use_ssl else 587 if starttls else 25
        timeout = float(extras.get("timeout") or DEFAULT_TIMEOUT)
        sender = str(extras.get("from") or "").strip() or get_settings().mail_sender
        _check_sender(sender)
        return cls(
            host=host,
            port=port_num,
            user=user or None,
            password=password if password not in (None, "") else None,
            use_ssl=use_ssl,
            starttls=starttls,
            sender=sender,
            timeout=timeout,
        )

    @classmethod
    def from_uri(cls, uri: str) -> SmtpSettings:
        """Parse ``smtp://user:pass@host:port?ssl=..&starttls=..&from=..`` (Airflow's URI form)."""
        parts = urlsplit(uri)
        if parts.scheme not in ("smtp", "smtps", "email"):
            raise ValueError(f"not an SMTP connection URI: {parts.scheme}://…")
        extras: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        # Airflow writes non-string extras as one JSON blob in ``__extra__``.
        if "__extra__" in extras:
            extras.update(json.loads(extras.pop("__extra__")))
        return cls.build(
            host=unquote(parts.hostname or ""),
            port=parts.port,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            extras=extras,
            scheme=parts.scheme,
        )

    @classmethod
    def from_json(cls, text: str) -> SmtpSettings:
        """Parse the JSON form of an ``AIRFLOW_CONN_*`` variable (``{"conn_type": ...}``)."""
        data = json.loads(text)
        extra = data.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        return cls.build(
            host=data.get("host"),
            port=data.get("port"),
            user=data.get("login"),
            password=data.get("password"),
            extras=extra,
            scheme=data.get("conn_type") or "smtp",
        )

    @classmethod
    def from_connection(cls, conn: Any) -> SmtpSettings:
        """From an Airflow Connection of either the Task SDK or ``airflow.models``."""
        return cls.build(
            host=conn.host,
            port=conn.port,
            user=conn.login,
            password=conn.password,
            extras=conn.extra_dejson or {},
            scheme=conn.conn_type or "smtp",
        )

    @property
    def envelope_sender(self) -> str:
        """The bare address of ``sender`` (``Name <a@b>`` -> ``a@b``), for ``MAIL FROM``."""
        from email.utils import parseaddr

        return parseaddr(self.sender)[1] or self.sender


def _env_var_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def _from_env(conn_id: str) -> SmtpSettings | None:
    value = os.environ.get(_env_var_name(conn_id), "").strip()
    if not value:
        return None
    if value.startswith("{"):
        return SmtpSettings.from_json(value)
    return SmtpSettings.from_uri(value)


def smtp_settings(conn_id: str | None = None) -> SmtpSettings:
    """Resolve the SMTP connection ``conn_id`` (default ``get_settings().smtp_conn_id``).

    Order: the Task SDK (works inside a running task, where the supervisor serves
    connections), then ``airflow.models.Connection`` (API server, scheduler, CLI), then our
    own parse of ``AIRFLOW_CONN_<ID>`` so that scripts and tests work with no Airflow
    installed or initialised. Airflow is imported lazily: importing it costs seconds.
    """
    conn_id = conn_id or get_settings().smtp_conn_id
    try:
        from airflow.sdk import BaseHook

        return SmtpSettings.from_connection(BaseHook.get_connection(conn_id))
    except Exception as exc:  # noqa: BLE001 - any failure means "try the next source"
        log.debug("Task SDK could not resolve connection %s: %s", conn_id, exc)
    try:
        from airflow.models.connection import Connection

        return SmtpSettings.from_connection(Connection.get_connection_from_secrets(conn_id))
    except Exception as exc:  # noqa: BLE001
        log.debug("Airflow models could not resolve connection %s: %s", conn_id, exc)
    settings = _from_env(conn_id)
    if settings is None:
        raise LookupError(
            f"SMTP connection {conn_id!r} is not defined: create it in Airflow or set "
            f"{_env_var_name(conn_id)}"
        )
    return settings


def _check_sender(sender: str) -> None:
    """Refuse a sender no server would take, naming it: a typo in the connection's ``from``
    (``sop@bapas``, ``SOP Bapas <sop@bapas.example``) would otherwise fail every email with a
    server's English reply. The emails stay queued (the outbox page shows this message) until
    the connection is fixed."""
    if not sender:
        return  # the server's default, as before
    if "\r" in sender or "\n" in sender:
        raise ValueError("Alamat pengirim (from) pada koneksi SMTP berisi baris baru; perbaiki koneksi bapas_smtp.")
    addresses = [addr for _name, addr in getaddresses([sender])]
    bracketed = "<" in sender or ">" in sender
    malformed = bracketed and (sender.count("<") != 1 or sender.count(">") != 1 or not sender.rstrip().endswith(">"))
    if malformed or len(addresses) != 1 or not addresses[0] or unsendable_reason(addresses[0]):
        raise ValueError(
            f"Alamat pengirim (from) pada koneksi SMTP tidak valid: {sender!r}. "
            "Tulis seperti 'SOP Bapas <sop@bapas.example>' di koneksi bapas_smtp atau BAPAS_MAIL_SENDER."
        )
