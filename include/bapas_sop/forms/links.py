"""Signed, expiring, per-person form links.

Staff and outside people have no Airflow account, so the link itself is the credential:
it names one request, one person and one link version, signed with the office's secret.
A hand-over bumps the request's link version, which turns the old person's link off.

The token is signed, not encrypted: whoever holds a link (a forwarded email, a proxy log, a
screenshot) can base64-decode it. So it carries no personal data: the person is an opaque
tag, a keyed HMAC (the office's secret) of the request id and the NIP or email, truncated.
The tag proves who the link was made for (:meth:`SignedLink.is_for`, checked against the
request's stored assignee) without revealing it, and differs per request, so two links of
one person cannot be matched up either. Links made before this change (salt ``v1``, which
carried the NIP in clear) are refused as invalid; the person asks for a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bapas_sop.settings import get_settings

_SALT = "bapas-sop.form-link.v2"
#: Separates the person tag's HMAC from every other use of the secret (signatures, CSRF).
_PERSON_TAG_CONTEXT = b"bapas-sop.form-link.person:"
#: 128 bits of the HMAC: far beyond guessing, short enough for a link in an email.
_PERSON_TAG_BYTES = 16


@dataclass(frozen=True)
class LinkClaims:
    """What a link is made for (the input of :func:`sign_link`)."""

    request_id: int
    person: str  # NIP for staff, email for outside people (lower case)
    version: int


@dataclass(frozen=True)
class SignedLink:
    """What a verified token says (the output of :func:`read_link`): the person only as a tag,
    to be compared with a known person by :meth:`is_for`."""

    request_id: int
    person_tag: str
    version: int

    def is_for(self, person: str | None) -> bool:
        """Whether the link was made for ``person`` on this request (constant-time compare)."""
        if not person:
            return False
        return constant_time_equal(person_tag(self.request_id, person), self.person_tag)


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


def person_tag(request_id: int, person: str) -> str:
    """The opaque stand-in for ``person`` in a link to request ``request_id`` (see the module doc)."""
    key = get_settings().secret_key.encode()
    message = _PERSON_TAG_CONTEXT + f"{request_id}:{person}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:_PERSON_TAG_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_link(claims: LinkClaims) -> str:
    tag = person_tag(claims.request_id, claims.person)
    return _serializer().dumps({"r": claims.request_id, "p": tag, "v": claims.version})


def read_link(token: str, *, max_age: timedelta | None = None) -> SignedLink:
    """Verify a token; raise LinkError("expired" | "invalid") with an Indonesian message.

    Who the link is for is checked by the caller against the stored request
    (:meth:`SignedLink.is_for`): the token itself no longer names the person.
    """
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
        claims = SignedLink(request_id=int(data["r"]), person_tag=str(data["p"]), version=int(data["v"]))
    except (KeyError, TypeError, ValueError, OverflowError):
        raise LinkError("invalid", "Tautan ini tidak sah.") from None
    # Only our own signature gets here, but an id the database cannot hold (a token signed
    # with a leaked or test key, ``r = 10**30``) must still be a refused link, not a crash.
    if not (0 < claims.request_id <= _MAX_ID and 0 <= claims.version <= _MAX_ID):
        raise LinkError("invalid", "Tautan ini tidak sah.")
    return claims


#: The largest id a database integer column holds (SQLite and PostgreSQL BIGINT).
_MAX_ID = 2**63 - 1


def form_url(token: str) -> str:
    return f"{get_settings().public_url}/f/{token}"


def csrf_token(token: str) -> str:
    """A value tied to one link, placed in the form so a post forged elsewhere is refused."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"csrf:" + token.encode("utf-8", "replace"), hashlib.sha256).hexdigest()


def csrf_ok(token: str, given: object) -> bool:
    """Whether ``given`` (whatever was posted: text, a file part, nothing) is the link's value.

    Compared as bytes: ``hmac.compare_digest`` refuses a non-ASCII ``str``, and a forged post
    may carry anything.
    """
    return constant_time_equal(csrf_token(token), given)


def constant_time_equal(expected: str, given: object) -> bool:
    """``given == expected`` in constant time, false for anything that is not a non-empty text."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
