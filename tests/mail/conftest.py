"""Fixtures of the mail tests, on top of the shared ``project`` and ``smtp_server``."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bapas_sop.mail.connection import SmtpSettings
from bapas_sop.mail.devserver import DevSmtp

SENDER = "SOP Bapas Jambi <sop@bapas-jambi.example>"


@pytest.fixture
def smtp(smtp_server: DevSmtp, project: Path) -> SmtpSettings:
    """Settings that reach the dev server, parsed from the same URI form as a connection."""
    return SmtpSettings.from_uri(
        f"{smtp_server.uri}&from=SOP%20Bapas%20Jambi%20%3Csop%40bapas-jambi.example%3E&timeout=5"
    )


@pytest.fixture
def closed_port() -> int:
    """A port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
