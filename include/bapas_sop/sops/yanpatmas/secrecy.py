"""The complainant's identity at rest: Fernet encryption, and the tracking code as a keyed hash.

The key is ``BAPAS_YANPATMAS_KEY`` (a Fernet key: 32 url-safe base64 bytes) when set; without
it, one derived from the link-signing key ``BAPAS_SECRET_KEY`` (SHA-256 of a fixed label and the
secret), so a default install works and a production one sets its own. Changing the key makes
the identities stored under the old one unreadable: :func:`open_identity` then returns None and
the pages say so, rather than failing.

The tracking code is never stored: only its HMAC under the same secret, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bapas_sop.settings import get_settings

KEY_ENV = "BAPAS_YANPATMAS_KEY"
_DERIVATION_LABEL = b"bapas-sop/yanpatmas/identitas/v1"
#: Letters and digits a person cannot confuse when reading a code aloud (no 0/O, 1/I/L).
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _fernet() -> Fernet:
    configured = os.environ.get(KEY_ENV)
    if configured:
        return Fernet(configured.encode())
    digest = hashlib.sha256(_DERIVATION_LABEL + get_settings().secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_identity(identity: dict[str, Any]) -> str:
    """The identity (name, email, phone) as one encrypted token."""
    return _fernet().encrypt(json.dumps(identity, ensure_ascii=False).encode()).decode()


def open_identity(token: str | None) -> dict[str, Any] | None:
    """The identity sealed in ``token``; None when there is none or the key changed."""
    if not token:
        return None
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        return None


def new_tracking_code() -> str:
    """A private tracking code, e.g. ``K7QM-3XPA``: 8 characters, about 39 bits."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    """What a person typed, as the code is written: upper case, one hyphen in the middle."""
    compact = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return f"{compact[:4]}-{compact[4:]}" if len(compact) == 8 else compact


def code_digest(ticket: str, code: str) -> str:
    """The stored form of a tracking code (bound to its ticket)."""
    message = f"{ticket}:{normalise_code(code)}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


def code_matches(ticket: str, code: str, digest: str | None) -> bool:
    return bool(digest) and hmac.compare_digest(code_digest(ticket, code), str(digest))
