"""The one check of an email address, used by every door an address comes in through.

Forms (``Kind.EMAIL``), the CSV tables (the directory's email column) and the outbox all ask
:func:`valid_email`, so an address accepted anywhere is one the run can send to. A regex let
through ``a,b@c.example`` (two addresses to the header parser), ``x"<evil@attacker.example>``
(a display name hiding another recipient) and ``pémohon@contoh.example`` (a non-ASCII local
part, which SMTP without SMTPUTF8 cannot carry: the email stayed queued forever). The
``email-validator`` library knows the RFCs; we only add Indonesian messages and refuse what
our SMTP connection cannot encode.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


class EmailAddressError(ValueError):
    """An address that cannot be used; the message (Indonesian) is shown to the person."""


def valid_email(text: str) -> str:
    """``text`` as a bare, sendable address (domain in lower case, IDN domain as punycode),
    or :class:`EmailAddressError` with an Indonesian reason.

    No DNS lookup (deliverability): the office runs offline, and a typo'd domain is the
    person's to notice in the receipt that never comes.
    """
    address = text.strip()
    if not address:
        raise EmailAddressError("alamat email kosong.")
    if not address.isascii() and "@" in address and not address.rsplit("@", 1)[0].isascii():
        raise EmailAddressError(
            "alamat email tidak valid: bagian sebelum @ hanya boleh huruf tanpa aksen, angka dan tanda . _ - +."
        )
    try:
        result = validate_email(address, check_deliverability=False, allow_smtputf8=False,
                                allow_quoted_local=False, allow_domain_literal=False, allow_display_name=False)
    except EmailNotValidError:
        raise EmailAddressError("alamat email tidak valid.") from None
    return result.ascii_email or result.normalized


def unsendable_reason(address: str) -> str | None:
    """Why SMTP can never carry this address (None when it can): a permanent failure, unlike a
    server that is down."""
    try:
        valid_email(address)
    except EmailAddressError as exc:
        return f"{address!r}: {exc}"
    return None
