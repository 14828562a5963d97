"""The satisfaction survey's personal links and anonymous answers.

When a service to an outside person ends (a Litmas completed for its requester, a complaint
closed, a school visit done), the SOP calls :func:`invite` inside its ``mailing()``: the
person gets one link, valid :data:`SURVEY_VALID_DAYS` days, good for one answer.

Anonymity is built into the tables, not promised by the pages: the invitation keeps a hash of
its token and no address; the answer keeps the service, the day and the scores, and nothing
that points back to the invitation. Marking the invitation answered and storing the answer
happen in one transaction, and the mark is a conditional update, so two posts of the same
link (a double tap, two tabs) store one answer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import select, update

from bapas_sop.calendar import wib_date
from bapas_sop.kinerja.forms import SKM_FORM
from bapas_sop.kinerja.skm import ELEMENT_KEYS
from bapas_sop.settings import get_settings
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import SkmInvitation, SkmResponse, utcnow
from bapas_sop.textid import format_date_id

#: How long a survey link can be used.
SURVEY_VALID_DAYS = 60
#: The email every invitation uses.
INVITATION_TEMPLATE = "skm_undangan"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _address_tag(address: str) -> str:
    """A keyed hash of the address: the invitation key without the address in clear."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"skm:" + address.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


def survey_url(token: str) -> str:
    return f"{get_settings().public_url}/skm/{token}"


def invite(batch: Any, *, service: str, service_title: str, subject: str, to: str, name: str | None,
           now: datetime | None = None) -> str | None:
    """Queue the survey invitation for one person and one finished service, once.

    ``batch`` is the caller's ``mailing()``: the invitation commits with the record of the
    service's end. Returns the outbox key, or None when this person was already invited for
    this service and subject (a retried task).
    """
    key = f"skm/{service}/{subject}/{_address_tag(to)}"
    session = batch.session
    if session.scalar(select(SkmInvitation.id).where(SkmInvitation.key == key)) is not None:
        return None
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    invitation = SkmInvitation(key=key, token_hash=_token_hash(token), service=service, subject=subject,
                               created_at=now, expires_at=now + timedelta(days=SURVEY_VALID_DAYS))
    session.add(invitation)
    session.flush()
    email_key = f"{key}/undangan"
    batch.email(
        key=email_key,
        to=to,
        template=INVITATION_TEMPLATE,
        context={
            "name": name or "Bapak/Ibu",
            "service_title": service_title,
            "subject": subject,
            "url": survey_url(token),
            "valid_until": format_date_id(wib_date(invitation.expires_at)),
        },
    )
    return email_key


@dataclass(frozen=True)
class SurveyLink:
    """What a survey token opens: whether it can still be answered, and for which service."""

    state: str            # "open", "answered", "expired", "unknown"
    service: str | None = None
    subject: str | None = None


def open_link(token: str, *, now: datetime | None = None) -> SurveyLink:
    if not token or len(token) > 200:
        return SurveyLink("unknown")
    with session_scope() as session:
        invitation = session.scalar(select(SkmInvitation).where(SkmInvitation.token_hash == _token_hash(token)))
        if invitation is None:
            return SurveyLink("unknown")
        if invitation.answered_at is not None:
            return SurveyLink("answered", invitation.service, invitation.subject)
        if (now or utcnow()) >= invitation.expires_at:
            return SurveyLink("expired", invitation.service, invitation.subject)
        return SurveyLink("open", invitation.service, invitation.subject)


def record_answer(token: str, values: Mapping[str, Any], *, now: datetime | None = None) -> SurveyLink:
    """Store one validated answer (the :data:`~bapas_sop.kinerja.forms.SKM_FORM` values) for a link.

    Returns the link's state after the attempt: ``answered`` when this post stored it (or an
    earlier one had), ``expired`` or ``unknown`` when nothing was stored.
    """
    now = now or utcnow()
    with session_scope() as session:
        invitation = session.scalar(select(SkmInvitation).where(SkmInvitation.token_hash == _token_hash(token)))
        if invitation is None:
            return SurveyLink("unknown")
        if invitation.answered_at is None and now >= invitation.expires_at:
            return SurveyLink("expired", invitation.service, invitation.subject)
        claimed = session.execute(
            update(SkmInvitation)
            .where(SkmInvitation.id == invitation.id, SkmInvitation.answered_at.is_(None))
            .values(answered_at=now)
        ).rowcount
        if claimed:
            session.add(SkmResponse(
                service=invitation.service,
                answered_on=wib_date(now).isoformat(),
                scores={k: int(values[k]) for k in ELEMENT_KEYS},
                comment=(str(values.get("komentar") or "").strip() or None),
            ))
        return SurveyLink("answered", invitation.service, invitation.subject)


def responses_frame(first_day: str | None = None, last_day: str | None = None) -> pd.DataFrame:
    """Answers (one row each: ``service``, ``answered_on``, ``u1``..``u9``, ``comment``) between two
    ISO days, both included."""
    with session_scope() as session:
        stmt = select(SkmResponse.service, SkmResponse.answered_on, SkmResponse.scores, SkmResponse.comment)
        if first_day:
            stmt = stmt.where(SkmResponse.answered_on >= first_day)
        if last_day:
            stmt = stmt.where(SkmResponse.answered_on <= last_day)
        rows = session.execute(stmt.order_by(SkmResponse.answered_on, SkmResponse.id)).all()
    return pd.DataFrame(
        [{"service": r.service, "answered_on": r.answered_on, **{k: (r.scores or {}).get(k) for k in ELEMENT_KEYS},
          "comment": r.comment} for r in rows],
        columns=["service", "answered_on", *ELEMENT_KEYS, "comment"],
    )


__all__ = ["SKM_FORM", "SURVEY_VALID_DAYS", "SurveyLink", "invite", "open_link", "record_answer", "responses_frame",
           "survey_url"]
