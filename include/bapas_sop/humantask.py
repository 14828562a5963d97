"""Human steps: the one mechanism every SOP uses to ask a person something.

A step is a *form request*: who is asked (a role resolved through the staff directory, a
named employee, or an outside person by email), which form, what they need to see, and the
times that matter (due, reminder, escalation, final expiry). Opening a request queues an email
with a personal signed link; the person answers on the form page; the Airflow sensor polls
:func:`poll` and releases the DAG.

Everything here is plain Python over the project's database: the Airflow operators, the web
app and the reminder sweep all call these functions, so the rules live in one place. Emails
are only *queued* here (the idempotent outbox); callers flush the outbox when it suits them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bapas_sop import audit, office
from bapas_sop.directory import Directory, Person, get_directory
from bapas_sop.forms.links import LinkClaims, LinkError, form_url, read_link, sign_link
from bapas_sop.forms.registry import get_form
from bapas_sop.forms.spec import FormSpec, Validation
from bapas_sop.mail.outbox import enqueue_email
from bapas_sop.policy import StepPolicy
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, FormResponse, LateAnswer, utcnow
from bapas_sop.stepstate import (  # noqa: F401 - re-exported: callers know them as humantask.*
    ANSWERED,
    EXPIRED,
    OPEN,
    RequestKey,
    _expire,
    _promise_wake,
    due_wakes,
    poll,
    request_key,
    waiting_key,
)
from bapas_sop.textid import format_datetime_id


#: Context entry of a step answered on another system: the link its emails carry.
EXTERNAL_URL = "_external_url"


@dataclass(frozen=True)
class Recipient:
    """Who receives a step: an employee (with NIP) or an outside person (email only)."""

    name: str
    email: str
    nip: str | None = None

    @property
    def person_key(self) -> str:
        return self.nip or self.email.lower()

    @classmethod
    def of(cls, person: Person) -> Recipient:
        return cls(name=person.name, email=person.email, nip=person.nip)


@dataclass(frozen=True)
class InvitationEmail:
    """An SOP's own first email for a step, sent instead of the generic "[Perlu tindakan]" one
    (one email, not two): an invitation to a forum with its calendar entry, say.

    ``template`` gets the usual context of a step's email (``name``, ``title``, ``url`` of the
    person's own link, ``due``, ``facts``) plus ``context``; its subject should still start with
    "[Perlu tindakan]", as every email that asks for an answer does. ``attachments`` are built
    only when the email is queued the first time. Reminders, escalations and hand-overs use the
    shared templates.
    """

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    attachments: Callable[[], Mapping[str, bytes]] | Mapping[str, bytes] | None = None


@dataclass(frozen=True)
class OpenedRequest:
    request_id: int
    key: str
    url: str
    assignee: Recipient
    substituted_for: str | None
    created: bool
    outbox_keys: tuple[str, ...] = ()


def resolve_assignee(assignee: str | Mapping[str, Any], directory: Directory | None = None) -> tuple[Recipient, Person | None]:
    """Turn ``"kabapas"`` / ``"nip:1980..."`` / ``{"name","email"}`` into the person who acts.

    Returns the acting recipient and, when a stand-in (Plh) replaced someone on leave, the
    person who was replaced.
    """
    directory = directory or get_directory()
    if isinstance(assignee, Mapping):
        email = str(assignee.get("email") or "").strip()
        if not email:
            raise ValueError(f"outside recipient without email: {assignee!r}")
        return Recipient(name=str(assignee.get("name") or email), email=email), None
    if assignee.startswith("nip:"):
        person = directory.get(assignee[4:])
    else:
        person = team_lead(directory, assignee)
    acting = directory.acting_for(person)
    return Recipient.of(acting), (person if acting.nip != person.nip else None)


def team_lead(directory: Directory, role: str) -> Person:
    """The one person a role's step goes to: its only holder, or the head of its team.

    A team (e.g. Keuangan: Kaur Keuangan and Bendahara) answers through its head, the holder
    not supervised by another holder; the head can hand the step to a colleague from the form.
    """
    holders = directory.by_role(role, include_on_leave=True)
    if not holders:
        return directory.one(role)  # raises the directory's own clear error
    nips = {p.nip for p in holders}
    heads = [p for p in holders if p.supervisor_nip not in nips]
    return (heads or holders)[0]


def open_request(
    *,
    key: str,
    step: str,
    form_name: str,
    title: str,
    assignee: str | Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
    prefill: Mapping[str, Any] | None = None,
    policy: StepPolicy | None = None,
    due_at: datetime | None = None,
    dag_id: str | None = None,
    run_id: str | None = None,
    now: datetime | None = None,
    directory: Directory | None = None,
    external_url: str | None = None,
    invitation: InvitationEmail | None = None,
) -> OpenedRequest:
    """Create the request (or find the one a retry already made) and queue its invitation.

    ``external_url`` is for a step answered on another system (a Google Form's personal
    prefilled link): the invitation and reminders carry that link instead of our form page,
    and the answer is brought in with :func:`record_answer` by whoever reads that system.
    ``invitation`` replaces the generic first email with the SOP's own (see :class:`InvitationEmail`).
    """
    get_form(form_name)  # fail early on a typo, before anyone is emailed
    now = now or utcnow()
    policy = policy or StepPolicy.from_config()
    # The office's own steps.yaml (assignee role, times, escalation role), read when the step
    # opens: an edit applies to the next step opened, without a restart or a DAG change.
    assignee, policy = office.effective_step(dag_id, step, assignee, policy)
    with session_scope() as session:
        existing = session.scalar(select(FormRequest).where(FormRequest.key == key))
        if existing is not None:
            recipient = Recipient(existing.assignee_name, existing.assignee_email, existing.assignee_nip)
            return OpenedRequest(
                request_id=existing.id,
                key=key,
                url=personal_url(existing),
                assignee=recipient,
                substituted_for=existing.original_assignee_nip,
                created=False,
                outbox_keys=(_invite_key(existing),),
            )
        recipient, replaced = resolve_assignee(assignee, directory)
        times = policy.times(now, due_at)
        request = FormRequest(
            key=key,
            dag_id=dag_id,
            run_id=run_id,
            step=step,
            form_name=form_name,
            title=title,
            role=assignee if isinstance(assignee, str) and not assignee.startswith("nip:") else None,
            assignee_nip=recipient.nip,
            assignee_name=recipient.name,
            assignee_email=recipient.email,
            original_assignee_nip=replaced.nip if replaced else None,
            context=dict(context or {}),
            prefill=dict(prefill or {}),
            status=OPEN,
            created_at=now,
            escalate_to_role=policy.escalate_to_role,
            **times,
        )
        if policy.default_answer is not None:
            request.context = {**request.context, "_default_answer": dict(policy.default_answer)}
        if external_url:
            request.context = {**request.context, EXTERNAL_URL: external_url}
        session.add(request)
        session.flush()
        audit.record(
            session, actor="system", action="requested", subject=key, dag_id=dag_id, run_id=run_id,
            step=step, form=form_name, assignee=recipient.person_key, due_at=times["due_at"].isoformat(),
        )
        if replaced is not None:
            audit.record(
                session, actor="system", action="substituted", subject=key, dag_id=dag_id, run_id=run_id,
                replaced=replaced.nip, stand_in=recipient.nip, reason="cuti",
            )
        invite = _queue_invite(session, request, replaced=replaced, invitation=invitation)
        return OpenedRequest(
            request_id=request.id,
            key=key,
            url=personal_url(request),
            assignee=recipient,
            substituted_for=replaced.nip if replaced else None,
            created=True,
            outbox_keys=(invite,),
        )


def _token_for(request: FormRequest) -> str:
    person = request.assignee_nip or request.assignee_email.lower()
    return sign_link(LinkClaims(request_id=request.id, person=person, version=request.link_version))


def personal_url(request: FormRequest) -> str:
    """The current assignee's own link to the request's form (what their emails carry)."""
    external = request.context.get(EXTERNAL_URL)
    return str(external) if external else form_url(_token_for(request))


def is_external(request: FormRequest) -> bool:
    """Whether the step is answered on another system (see ``open_request(external_url=)``)."""
    return bool(request.context.get(EXTERNAL_URL))


def _invite_key(request: FormRequest) -> str:
    return f"{request.key}/invite/{request.assignee_nip or request.assignee_email.lower()}/v{request.link_version}"


def _facts(request: FormRequest) -> list[list[str]]:
    return [list(map(str, pair)) for pair in request.context.get("facts", [])]


def email_assignee(session: Session, request: FormRequest, *, key: str, template: str,
                   attachments: Callable[[], Mapping[str, bytes]] | Mapping[str, bytes] | None = None, **extra: Any) -> str:
    """Queue an email to the request's current assignee with their own link and the step's facts."""
    enqueue_email(
        session,
        key=key,
        to=request.assignee_email,
        template=template,
        attachments=attachments,
        context={
            "name": request.assignee_name,
            "title": request.title,
            "url": personal_url(request),
            "due": format_datetime_id(request.due_at),
            "facts": _facts(request),
            "can_hand_over": get_form(request.form_name).allow_handover,
            **extra,
        },
    )
    return key


def _queue_invite(session: Session, request: FormRequest, *, replaced: Person | None = None,
                  handed_over_by: str | None = None, invitation: InvitationEmail | None = None) -> str:
    if invitation is not None:
        return email_assignee(
            session, request, key=_invite_key(request), template=invitation.template,
            attachments=invitation.attachments, replaced_name=replaced.name if replaced else None,
            **dict(invitation.context),
        )
    return email_assignee(
        session, request, key=_invite_key(request), template="form_request",
        replaced_name=replaced.name if replaced else None, handed_over_by=handed_over_by,
    )


# --- reading and answering -------------------------------------------------------------


@dataclass
class LinkedRequest:
    """A request opened through a link, with the form it uses."""

    request: FormRequest
    form: FormSpec
    claims: LinkClaims
    token: str


def open_link(session: Session, token: str) -> LinkedRequest:
    """Check a token against the stored request; raise LinkError with the page to show."""
    signed = read_link(token)
    request = session.get(FormRequest, signed.request_id)
    if request is None:
        raise LinkError("invalid", "Permintaan untuk tautan ini tidak ditemukan.")
    # The token names its person only as an opaque tag (no NIP in a link): it is checked
    # against the people the request knows, the current assignee and the one it was taken from.
    current_person = request.assignee_nip or request.assignee_email.lower()
    if not signed.is_for(current_person) or signed.version != request.link_version:
        if signed.is_for(request.original_assignee_nip) or signed.version != request.link_version:
            raise LinkError(
                "handed_over",
                f"Tugas ini sudah dialihkan kepada {request.assignee_name}. Tautan Anda tidak berlaku lagi.",
            )
        raise LinkError("wrong_person", "Tautan ini bukan untuk permintaan ini.")
    claims = LinkClaims(request_id=request.id, person=current_person, version=signed.version)
    return LinkedRequest(request=request, form=get_form(request.form_name), claims=claims, token=token)


@dataclass
class SubmitResult:
    """What became of a posted answer.

    ``saved``: this answer is the request's answer. ``repeated``: the same answer was already
    recorded (a double click, a resend): nothing changed, and the sender may be told it is saved.
    ``already``: another answer came first (another tab, a concurrent post): this one was not
    kept, ``response`` is the recorded one, and the sender must be told so. ``invalid``: see
    ``validation``. ``closed``: the request expired or was closed before.
    """

    status: str  # saved | repeated | already | invalid | closed
    validation: Validation | None
    request: FormRequest
    response: FormResponse | None = None


def submit(token: str, raw: Mapping[str, Any], *, remote_addr: str | None = None, now: datetime | None = None) -> SubmitResult:
    """Validate and record an answer; exactly one answer per request, whatever the clicks.

    The first answer is kept, never overwritten: a later one comes back as ``already`` (or
    ``repeated`` when it says the same), so that its sender is not told it was saved.
    """
    now = now or utcnow()
    with session_scope() as session:
        linked = open_link(session, token)
        request = linked.request
        if request.status == ANSWERED:
            return _second_answer(linked, raw)
        if request.status != OPEN:
            return SubmitResult("closed", None, request)
        validation = linked.form.validate(raw, request.context)
        if not validation.ok:
            return SubmitResult("invalid", validation, request)
        response = _record(
            session, request, validation.values, now=now, by_nip=request.assignee_nip,
            by_email=request.assignee_email, link_id=f"{linked.claims.person}/v{linked.claims.version}",
            actor=linked.claims.person, remote_addr=remote_addr,
        )
        if response is None:  # a concurrent answer won the conditional update
            return _second_answer(linked, raw)
        return SubmitResult("saved", validation, request, response)


def _second_answer(linked: LinkedRequest, raw: Mapping[str, Any]) -> SubmitResult:
    """The result of an answer that came after the recorded one: ``repeated`` or ``already``."""
    request = linked.request
    recorded = request.latest_response
    validation = linked.form.validate(raw, request.context)
    same = recorded is not None and validation.ok and _as_stored(validation.values) == recorded.data
    return SubmitResult("repeated" if same else "already", validation, request, recorded)


def _as_stored(values: Mapping[str, Any]) -> Any:
    """Values as the JSON column gives them back (tuples as lists), to compare with a stored answer."""
    import json

    return json.loads(json.dumps(dict(values), default=str))


def _record(
    session: Session,
    request: FormRequest,
    values: Mapping[str, Any],
    *,
    now: datetime,
    by_nip: str | None,
    by_email: str | None,
    link_id: str,
    actor: str,
    remote_addr: str | None = None,
    **audit_detail: Any,
) -> FormResponse | None:
    """Store the one answer of an open request; None when someone else's answer came first."""
    # Conditional update: of two simultaneous answers, only one finds the request open.
    won = session.execute(
        update(FormRequest)
        .where(FormRequest.id == request.id, FormRequest.status == OPEN)
        .values(status=ANSWERED, answered_at=now)
    ).rowcount
    if not won:
        session.rollback()
        session.refresh(request)
        return None
    response = FormResponse(
        request_id=request.id,
        revision=1,
        data=dict(values),
        submitted_at=now,
        submitted_by_nip=by_nip,
        submitted_by_email=by_email,
        link_id=link_id,
        remote_addr=remote_addr,
    )
    session.add(response)
    audit.record(
        session, actor=actor, action="answered", subject=request.key,
        dag_id=request.dag_id, run_id=request.run_id, answer=dict(values), remote_addr=remote_addr, **audit_detail,
    )
    _promise_wake(session, request)
    session.flush()
    session.refresh(request)
    return response


def record_answer(
    key: str,
    values: Mapping[str, Any],
    *,
    answered_at: datetime,
    link_id: str,
    channel: str,
) -> str:
    """Bring in an answer given on another system (already checked there or by the caller).

    The answer counts as the assignee's own: the external system identified them (a Google
    Form's personal token). Returns ``saved``, ``already`` (this or another answer is in, or
    this late answer was already kept) or ``closed`` (the step expired first: the answer is
    kept in ``late_answer`` and logged in the audit trail, not counted).
    """
    with session_scope() as session:
        request = session.scalar(select(FormRequest).where(FormRequest.key == key))
        if request is None:
            raise LookupError(f"no form request {key!r}")
        if request.status == ANSWERED:
            return "already"
        if request.status != OPEN:
            kept = session.scalar(
                select(LateAnswer.id).where(LateAnswer.request_id == request.id, LateAnswer.link_id == link_id)
            )
            if kept is not None:
                return "already"  # read again by a later pass: kept once
            session.add(LateAnswer(request_id=request.id, link_id=link_id, channel=channel, data=dict(values),
                                   answered_at=answered_at, recorded_at=utcnow()))
            audit.record(session, actor=request.assignee_nip or request.assignee_email, action="answer_too_late",
                         subject=key, dag_id=request.dag_id, run_id=request.run_id, answer=dict(values),
                         channel=channel, link_id=link_id, answered_at=answered_at.isoformat())
            return "closed"
        response = _record(
            session, request, values, now=answered_at, by_nip=request.assignee_nip,
            by_email=request.assignee_email, link_id=link_id,
            actor=request.assignee_nip or request.assignee_email, channel=channel,
        )
        return "saved" if response is not None else "already"


def expire_now(keys: list[str] | tuple[str, ...], *, now: datetime | None = None) -> list[str]:
    """Close the still-open requests among ``keys`` as expired (their default answer applies).

    For steps whose end is decided by the caller rather than the sweep (a Google Form closed
    at its deadline, after its last answers were brought in). Returns the keys expired.
    """
    now = now or utcnow()
    expired = []
    with session_scope() as session:
        for request in session.scalars(select(FormRequest).where(FormRequest.key.in_(keys), FormRequest.status == OPEN)).all():
            _expire(session, request, now)
            if request.status == EXPIRED:
                expired.append(request.key)
    return expired


def hand_over(token: str, to_nip: str, reason: str, *, now: datetime | None = None, directory: Directory | None = None) -> tuple[FormRequest, list[str]]:
    """Pass an open step to a stand-in (substitusi pelaksana); the old link stops working."""
    directory = directory or get_directory()
    reason = (reason or "").strip()
    with session_scope() as session:
        linked = open_link(session, token)
        request = linked.request
        if request.status != OPEN:
            raise LinkError("closed", "Tugas ini sudah selesai sehingga tidak dapat dialihkan.")
        if not linked.form.allow_handover:
            # A personal step (a ballot, an acknowledgement) is answered by its own person only.
            raise HandOverError("Langkah ini bersifat pribadi dan tidak dapat dialihkan kepada orang lain.")
        if not reason:
            raise HandOverError("Alasan pengalihan wajib diisi.")
        try:
            target = directory.get(to_nip)
        except LookupError:
            raise HandOverError("Pegawai pengganti tidak ditemukan di daftar pegawai.") from None
        if target.nip == request.assignee_nip:
            raise HandOverError("Pengganti tidak boleh Anda sendiri.")
        if not target.active or target.on_leave:
            raise HandOverError(f"{target.name} sedang tidak aktif atau cuti; pilih pengganti lain.")
        previous = Recipient(request.assignee_name, request.assignee_email, request.assignee_nip)
        request.original_assignee_nip = request.original_assignee_nip or previous.nip
        request.assignee_nip = target.nip
        request.assignee_name = target.name
        request.assignee_email = target.email
        request.link_version += 1
        request.reminded_at = None
        audit.record(
            session, actor=previous.person_key, action="handed_over", subject=request.key,
            dag_id=request.dag_id, run_id=request.run_id, to=target.nip, reason=reason,
        )
        keys = [_queue_invite(session, request, handed_over_by=previous.name)]
        session.flush()
        return request, keys


class HandOverError(ValueError):
    """A hand-over that cannot be done; the message is shown on the form page."""


# --- reminders and escalation ------------------------------------------------------------


@dataclass
class SweepResult:
    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    outbox_keys: list[str] = field(default_factory=list)


def sweep(*, now: datetime | None = None, directory: Directory | None = None) -> SweepResult:
    """Send the reminders and escalations that are due, and close expired steps.

    Idempotent: each reminder and escalation is stamped on the request and keyed in the
    outbox, so running the sweep twice (or after a crash) sends nothing twice.
    """
    now = now or utcnow()
    directory = directory or get_directory()
    result = SweepResult()
    with session_scope() as session:
        open_requests = session.scalars(select(FormRequest).where(FormRequest.status == OPEN)).all()
        for request in open_requests:
            if now >= request.expires_at:
                _expire(session, request, now)
                result.expired.append(request.key)
                continue
            if request.remind_at is not None and request.reminded_at is None and now >= request.remind_at:
                key = email_assignee(
                    session, request, key=f"{request.key}/reminder/v{request.link_version}", template="form_reminder"
                )
                request.reminded_at = now
                audit.record(session, actor="system", action="reminded", subject=request.key,
                             dag_id=request.dag_id, run_id=request.run_id, to=request.assignee_email)
                result.reminded.append(request.key)
                result.outbox_keys.append(key)
            if request.escalate_at is not None and request.escalated_at is None and now >= request.escalate_at:
                target = _escalation_target(request, directory)
                if target is not None:
                    key = f"{request.key}/escalation/{target.person_key}"
                    enqueue_email(
                        session,
                        key=key,
                        to=target.email,
                        cc=request.assignee_email,
                        template="form_escalation",
                        context={
                            "name": target.name,
                            "assignee_name": request.assignee_name,
                            "title": request.title,
                            "due": format_datetime_id(request.due_at),
                            "facts": _facts(request),
                        },
                    )
                    result.outbox_keys.append(key)
                request.escalated_at = now
                audit.record(session, actor="system", action="escalated", subject=request.key,
                             dag_id=request.dag_id, run_id=request.run_id,
                             to=target.person_key if target else None)
                result.escalated.append(request.key)
    return result


def _escalation_target(request: FormRequest, directory: Directory) -> Recipient | None:
    if request.escalate_to_email:
        return Recipient(name=request.escalate_to_email, email=request.escalate_to_email)
    if request.escalate_to_role:
        return Recipient.of(directory.acting_for(directory.one(request.escalate_to_role)))
    if request.assignee_nip:
        supervisor = directory.supervisor_of(request.assignee_nip)
        if supervisor is not None:
            return Recipient.of(supervisor)
    # Outside people and the head of office have no supervisor here: tell the head of office.
    kabapas = directory.acting_for(directory.one("kabapas"))
    if kabapas.nip == request.assignee_nip:
        return None
    return Recipient.of(kabapas)
