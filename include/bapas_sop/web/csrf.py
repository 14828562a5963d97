"""CSRF protection of the admin forms (a letter typed in by staff, any admin POST).

The Airflow login is a cookie, and a browser sends it with a POST made by any other site.
So an admin form carries a token of its own in a hidden field: signed with the office's
secret, bound to the admin's user name and valid for a working day. Another site can make
the browser post, but cannot read the form page to learn the token.

Form links (``/f/<token>``) have their own per-link value (:func:`bapas_sop.forms.links.csrf_token`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bapas_sop.forms.links import constant_time_equal
from bapas_sop.settings import get_settings

_SALT = "bapas-sop.admin-form.v1"
#: How long an admin form page stays usable: a working day, then reload the page.
ADMIN_CSRF_MAX_AGE = 12 * 3600
#: The hidden field the token travels in (``_`` fields are never answers).
FIELD = "_csrf"


def admin_name(user: Any) -> str:
    """The user name of what the admin check returned (Airflow's user, or a test's string)."""
    if isinstance(user, str):
        return user
    for attribute in ("get_name", "get_id"):
        method = getattr(user, attribute, None)
        if callable(method):
            value = method()
            if value:
                return str(value)
    return str(getattr(user, "username", "") or "")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def admin_csrf_token(user: Any) -> str:
    """The value to put in an admin form's hidden ``_csrf`` field for this admin."""
    return _serializer().dumps(admin_name(user))


def admin_token_ok(user: Any, given: object) -> bool:
    """Whether a posted ``_csrf`` (text, a file part, nothing) was made for this admin, lately."""
    if not isinstance(given, str) or not given or not given.isascii():
        return False
    try:
        name = _serializer().loads(given, max_age=ADMIN_CSRF_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return False
    return isinstance(name, str) and constant_time_equal(admin_name(user), name)


async def admin_csrf_ok(request: Request, user: Any) -> bool:
    """The check an admin POST route makes first: its form's token is this admin's.

    A post too large or broken to be read passes here: nothing can be stored from it, and the
    form's own handling answers it with the reason (:func:`bapas_sop.web.app.read_form_data`).
    """
    from bapas_sop.web.app import read_form_data

    form_data = await read_form_data(request)
    if form_data is None:
        return True
    return admin_token_ok(user, form_data.get(FIELD))


def remember_admin_csrf(request: Request, user: Any) -> None:
    """Make this admin's token the one :func:`admin_form_fields` puts in the page being built."""
    request.state.admin_csrf = admin_csrf_token(user)


def admin_form_fields(request: Request) -> dict[str, str] | None:
    """The hidden fields of an admin form (``{"_csrf": token}``), None outside an admin route."""
    token = getattr(request.state, "admin_csrf", None)
    return {FIELD: token} if token else None


def admin_csrf_refused() -> Response:
    """The page of an admin post that did not come from our own form."""
    from bapas_sop.web.render import render_page

    return render_page(
        "message.html", status_code=403, title="Formulir tidak sah",
        message="Formulir ini tidak dikirim dari halaman admin yang benar, sehingga tidak diproses. "
        "Buka lagi halaman formulirnya dari menu admin lalu kirim ulang.",
    )


__all__ = [
    "ADMIN_CSRF_MAX_AGE", "FIELD", "admin_csrf_ok", "admin_csrf_refused", "admin_csrf_token", "admin_form_fields",
    "admin_name", "admin_token_ok", "remember_admin_csrf",
]
