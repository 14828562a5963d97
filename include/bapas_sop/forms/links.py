"""Signed, expiring, per-person form links.

Staff and outside people have no Airflow account, so the link itself is the credential:
it names one request, one person and one link version, signed with the office's secret.
A hand-over bumps the request's link version, which turns the old person's link off.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bapas_sop.settings import get_settings

_SALT = "bapas-sop.form-link.v1"


@dataclass(frozen=True)
class LinkClaims:
    request_id: int
    person: str  # NIP for staff, email for outside people
    version: int


class LinkError(Exception):
    """A link that cannot be used; ``reason`` picks the page shown to the person."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


def _serializer(secret: str | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret or get_settings().secret_key, salt=_SALT)


def link_lifetime() -> timedelta:
    return timedelta(days=get_settings().config["human_steps"]["link_valid_days"])


def sign_link(claims: LinkClaims) -> str:
    return _serializer().dumps({"r": claims.request_id, "p": claims.person, "v": claims.version})


def read_link(token: str, *, max_age: timedelta | None = None) -> LinkClaims:
    """Verify a token; raise LinkError("expired" | "invalid") with an Indonesian message."""
    age = max_age or link_lifetime()
    try:
        data = _serializer().loads(token, max_age=int(age.total_seconds()))
    except SignatureExpired:
        raise LinkError(
            "expired",
            "Tautan ini sudah kedaluwarsa. Mintalah tautan baru kepada admin SOP.",
        ) from None
    except BadSignature:
        raise LinkError(
            "invalid",
            "Tautan ini tidak sah atau tidak lengkap. Pastikan Anda membuka tautan persis seperti di email.",
        ) from None
    try:
        return LinkClaims(request_id=int(data["r"]), person=str(data["p"]), version=int(data["v"]))
    except (KeyError, TypeError, ValueError):
        raise LinkError("invalid", "Tautan ini tidak sah.") from None


def form_url(token: str) -> str:
    return f"{get_settings().public_url}/f/{token}"


def csrf_token(token: str) -> str:
    """A value tied to one link, placed in the form so a post forged elsewhere is refused."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(token), given or "")
