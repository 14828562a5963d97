"""A Google Form behind human steps: the steps stay ours, the answering happens on Google.

With the built-in forms, every person of a step answers on our own form page. With Google
Forms (:mod:`bapas_sop.google.forms`) one shared form is created and published, and every
person still gets **their own** human step (:func:`bapas_sop.humantask.open_request` with
``external_url=``): the email and the reminders carry the person's prefilled Google link,
the step's expiry, default answer and audit trail are the usual ones, and the sensors that
wait on the steps do not know where the answer came from. This module is the bridge:

* :func:`create_form` creates and publishes the form once per run (a retried task finds it
  again in ``google_form`` instead of creating a second one) and shares it through Drive
  with the people who run the survey, so they can watch it in Google Forms;
* :class:`FormBinding` is what the collecting task needs (JSON, carried as an XCom): the
  form's layout, which step belongs to which person, the closing time;
* :func:`collect` reads the new answers and records each counted one as the answer of its
  person's step. A refused answer (a vote for oneself, a wrong value) is not lost: it is in
  ``google_form_rejection`` (and logged in the audit trail), and its sender gets an email saying why, with the same link to try again.
  At the closing time the form stops taking answers, *everything* is read once more
  (not only what is newer than the last read, so nothing submitted just before closing is
  missed), and only then are the steps still open expired.

The person's token in their link is derived (HMAC) from the form id and the person, so the
binding can be rebuilt and a retried task sends the same link.

The audit trail is a log only: this module writes its events there but decides from its own
tables (``google_form``, ``google_form_rejection``).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bapas_sop import audit, humantask
from bapas_sop.forms.registry import get_form
from bapas_sop.google.forms import CreatedForm, GoogleFormsBackend, RejectReason, issue_tokens
from bapas_sop.mail.outbox import flush
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, FormResponse, GoogleForm, GoogleFormRejection, utcnow
from bapas_sop.textid import format_datetime_id

log = logging.getLogger(__name__)

CHANNEL = "google_forms"
LINK_PREFIX = "google:"
STARTED = "google_form_started"
CREATED = "google_form_created"
SHARED = "google_form_shared"
REJECTED = "google_response_rejected"
CLOSED = "google_form_closed"

#: Refusals worth telling the sender: they can answer again and be counted.
_TELL_SENDER = (RejectReason.NOT_ALLOWED, RejectReason.INVALID)


def edit_url(form_id: str) -> str:
    """Where the people it is shared with open the form (responses tab included)."""
    return f"https://docs.google.com/forms/d/{form_id}/edit"


def create_form(
    spec_name: str,
    *,
    title: str,
    context: Mapping[str, Any],
    subject: str,
    dag_id: str,
    run_id: str,
    editors: Sequence[str] = (),
    backend: GoogleFormsBackend | None = None,
    sharing: Any = None,
) -> dict[str, Any]:
    """Create, publish and share the run's Google Form for ``spec_name``; once per run.

    Returns ``{"form": CreatedForm.to_dict(), "edit_url", "shared", "share_failed"}``.
    ``editors`` get edit rights through Drive (no Google notification: our own email tells
    them); an address Drive refuses (no Google account) is reported, the others still shared.
    """
    state = _state(subject, run_id)
    if state is not None and state.form:
        created = CreatedForm.from_dict(state.form)
        log.info("Google Form %s of this run already exists; not creating another", created.form_id)
    else:
        backend = backend or GoogleFormsBackend.from_connection()

        def started(form_id: str) -> None:
            # Recorded the moment the form exists: a retry after a failed fill or publish
            # finishes this form instead of leaving it behind and creating a second one.
            with session_scope() as session:
                row = _form_row(session, subject, dag_id, run_id)
                row.form_id, row.edit_url = form_id, edit_url(form_id)
                audit.record(session, actor="system", action=STARTED, subject=subject, dag_id=dag_id,
                             run_id=run_id, form_id=form_id)

        resume = state.form_id if state is not None else None
        created = backend.create_form(get_form(spec_name), title=title, context=context,
                                      on_created=started, resume_form_id=resume)
        with session_scope() as session:
            row = _form_row(session, subject, dag_id, run_id)
            row.form_id, row.form, row.edit_url = created.form_id, created.to_dict(), edit_url(created.form_id)
            row.responder_url, row.published_at = created.responder_uri, utcnow()
            audit.record(session, actor="system", action=CREATED, subject=subject, dag_id=dag_id, run_id=run_id,
                         form=created.to_dict())
    result: dict[str, Any] = {
        "form": created.to_dict(), "edit_url": edit_url(created.form_id), "shared": [], "share_failed": {},
    }
    if state is not None and state.shared is not None and not state.share_failed:
        result.update(shared=list(state.shared), share_failed={})
    elif editors:
        # First time, or a retry after some addresses failed (sharing again adds nothing for
        # those who already have access).
        result.update(_share(created.form_id, editors, sharing))
        with session_scope() as session:
            row = _form_row(session, subject, dag_id, run_id)
            row.shared, row.share_failed = list(result["shared"]), dict(result["share_failed"])
            audit.record(session, actor="system", action=SHARED, subject=subject, dag_id=dag_id, run_id=run_id,
                         form_id=created.form_id, shared=result["shared"], share_failed=result["share_failed"])
    return result


def _state(subject: str, run_id: str) -> GoogleForm | None:
    """How far this run's form got (started, published, shared), or None before it exists."""
    with session_scope() as session:
        return session.scalar(select(GoogleForm).where(GoogleForm.subject == subject, GoogleForm.run_id == run_id))


def _form_row(session: Any, subject: str, dag_id: str | None, run_id: str) -> GoogleForm:
    """This run's ``google_form`` row, added on the first step that has something to keep."""
    row = session.scalar(select(GoogleForm).where(GoogleForm.subject == subject, GoogleForm.run_id == run_id))
    if row is None:
        row = GoogleForm(subject=subject, dag_id=dag_id, run_id=run_id, share_failed={}, started_at=utcnow())
        session.add(row)
    return row


def _bound_form(session: Any, binding: FormBinding) -> GoogleForm:
    """The ``google_form`` row of the binding's form (added when the form was made elsewhere)."""
    form_id = binding.form.form_id
    row = session.scalar(select(GoogleForm).where(GoogleForm.form_id == form_id))
    if row is None:
        row = GoogleForm(subject=binding.subject, form_id=form_id, form=binding.form.to_dict(),
                         responder_url=binding.form.responder_uri, edit_url=edit_url(form_id), share_failed={},
                         started_at=utcnow())
        session.add(row)
    return row


def _share(form_id: str, editors: Sequence[str], sharing: Any) -> dict[str, Any]:
    """Edit rights for ``editors``. Sharing is a convenience (the votes do not depend on it):
    when Drive refuses altogether, the survey goes on and the refusal is reported."""
    from bapas_sop.google.errors import GoogleError

    try:
        if sharing is None:
            from bapas_sop.google.drive import DriveSharing

            sharing = DriveSharing.from_connection()
        shared = sharing.share(form_id, list(editors), role="writer", notify=False)
    except GoogleError as exc:
        log.error("Google Form %s could not be shared: %s", form_id, exc)
        reason = getattr(exc, "hint", None) or str(exc)
        return {"shared": [], "share_failed": {email: reason for email in editors}}
    return {"shared": sorted({*shared.shared, *shared.already}), "share_failed": dict(shared.failed)}


@dataclass(frozen=True)
class FormBinding:
    """One Google Form and the human steps it answers; JSON through :meth:`to_dict`.

    ``steps`` maps each person (their NIP, as in their token) to the key of their step;
    ``voter_check`` names a function ``(person, values) -> refusal or None`` by its dotted
    path (a path, not a function, because the binding travels as an XCom).
    """

    form: CreatedForm
    spec_name: str
    steps: Mapping[str, str]
    closes_at: datetime
    subject: str
    context: Mapping[str, Any] = field(default_factory=dict)
    voter_check: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "form": self.form.to_dict(), "spec_name": self.spec_name, "steps": dict(self.steps),
            "closes_at": self.closes_at.isoformat(), "subject": self.subject,
            "context": dict(self.context), "voter_check": self.voter_check,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormBinding:
        return cls(
            form=CreatedForm.from_dict(data["form"]), spec_name=data["spec_name"], steps=dict(data["steps"]),
            closes_at=datetime.fromisoformat(data["closes_at"]), subject=data["subject"],
            context=dict(data.get("context") or {}), voter_check=data.get("voter_check"),
        )

    def links(self) -> dict[str, str]:
        """Each person's own prefilled link."""
        return personal_links(self.form, self.steps)


def personal_links(form: CreatedForm, people: Iterable[str]) -> dict[str, str]:
    """Each person's prefilled link to ``form``, carrying their own code (the same on every call)."""
    tokens = issue_tokens(form.form_id, people)
    return {person: form.link_for(token) for person, token in tokens.items()}


@dataclass
class CollectResult:
    """What one pass of :func:`collect` did (logged, and the task's XCom at the end)."""

    final: bool
    counted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    too_late: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    pages: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"final": self.final, "counted": self.counted, "refused": self.refused,
                "too_late": self.too_late, "expired": self.expired, "pages": self.pages}


def _imported(keys: Sequence[str]) -> tuple[dict[str, str], datetime | None]:
    """Answers already brought in: person → Google response id, and the newest time."""
    with session_scope() as session:
        rows = session.execute(
            select(FormRequest.assignee_nip, FormResponse.link_id, FormResponse.submitted_at)
            .join(FormResponse, FormResponse.request_id == FormRequest.id)
            .where(FormRequest.key.in_(keys), FormResponse.link_id.like(f"{LINK_PREFIX}%"))
        ).all()
    newest = max((at for _nip, _link, at in rows), default=None)
    return {nip: link[len(LINK_PREFIX):] for nip, link, _at in rows if nip}, newest


def _check(path: str | None) -> Callable[[str, Mapping[str, Any]], str | None] | None:
    if not path:
        return None
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def collect(
    binding: FormBinding | Mapping[str, Any],
    *,
    final: bool,
    backend: GoogleFormsBackend | None = None,
    now: datetime | None = None,
) -> CollectResult:
    """Bring the form's new answers into their steps; ``final`` closes the form first.

    Safe to repeat: an answer already brought in is recognised by its response id, a refusal
    is told to its sender once.
    """
    if not isinstance(binding, FormBinding):
        binding = FormBinding.from_dict(binding)
    now = now or utcnow()
    backend = backend or GoogleFormsBackend.from_connection()
    keys = list(binding.steps.values())
    if final:
        state = backend.close(binding.form.form_id)
        log.info("Google Form %s closed at its deadline: %s", binding.form.form_id, state.describe())
    already, newest = _imported(keys)
    batch = backend.list_responses(
        binding.form.form_id,
        spec=get_form(binding.spec_name),
        # The last pass reads everything once more, not only what is newer than the last read.
        since=None if final else newest,
        layout=binding.form,
        tokens=issue_tokens(binding.form.form_id, binding.steps),
        already_voted=already,
        context=binding.context,
        require_published=not final,
        voter_check=_check(binding.voter_check),
    )
    result = CollectResult(final=final, pages=batch.pages)
    for response in batch.accepted:
        key = binding.steps[str(response.voter)]
        outcome = humantask.record_answer(
            key, response.values, answered_at=response.submitted_at,
            link_id=f"{LINK_PREFIX}{response.response_id}", channel=CHANNEL,
        )
        {"saved": result.counted, "closed": result.too_late}.get(outcome, []).append(key)
    # After closing, a refused sender can no longer answer again: recorded, not told.
    _refusals(binding, batch.rejected, result, tell=not final)
    if final:
        result.expired = humantask.expire_now(keys, now=now)
    with session_scope() as session:
        row = _bound_form(session, binding)
        row.last_read_at = utcnow()
        if final and row.closed_at is None:  # a repeated survey has its own form, closed on its own
            row.closed_at = now
            audit.record(session, actor="system", action=CLOSED, subject=binding.subject,
                         form_id=binding.form.form_id, counted=len(already) + len(result.counted),
                         expired=len(result.expired), too_late=result.too_late)
    log.info("Google Form %s: %d answers counted now, %d refused, %d expired%s", binding.form.form_id,
             len(result.counted), len(result.refused), len(result.expired), " (final pass)" if final else "")
    return result


def _refusals(binding: FormBinding, rejected: Sequence[Any], result: CollectResult, *, tell: bool) -> None:
    """Each refused answer once into ``google_form_rejection`` (and the audit trail); its sender,
    when known, is told why."""
    outbox: list[str] = []
    with session_scope() as session:
        recorded = set(session.scalars(
            select(GoogleFormRejection.response_id).where(GoogleFormRejection.subject == binding.subject)
        ))
        for refusal in rejected:
            if refusal.response_id in recorded:
                continue
            recorded.add(refusal.response_id)
            result.refused.append(refusal.response_id)
            session.add(GoogleFormRejection(
                subject=binding.subject, form_id=binding.form.form_id, response_id=refusal.response_id,
                reason=str(refusal.reason), voter=refusal.voter, submitted_at=refusal.submitted_at,
                recorded_at=utcnow(),
            ))
            audit.record(session, actor=refusal.voter or "unknown", action=REJECTED, subject=binding.subject,
                         response_id=refusal.response_id, reason=str(refusal.reason), message=refusal.message,
                         voter=refusal.voter, submitted_at=refusal.submitted_at.isoformat(), errors=refusal.errors)
            if not tell or refusal.voter is None or refusal.reason not in _TELL_SENDER:
                continue
            request = session.scalar(select(FormRequest).where(FormRequest.key == binding.steps.get(refusal.voter)))
            if request is None or request.status != humantask.OPEN:
                continue
            # The invitation's own email path: the same person, their same Google link, the deadline.
            outbox.append(humantask.email_assignee(
                session, request, key=f"{request.key}/google_refused/{refusal.response_id}",
                template="google_jawaban_ditolak", reason=refusal.message,
                submitted=format_datetime_id(refusal.submitted_at),
            ))
    if outbox:
        flush(keys=outbox)


__all__ = ["CHANNEL", "CollectResult", "FormBinding", "collect", "create_form", "edit_url", "personal_links"]
