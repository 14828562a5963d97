"""What the tasks of a declared SOP's DAG do, over the project's database.

A request (:class:`~bapas_sop.declared.models.DeclaredRequest`) holds the requester and every
answer; the DAG run knows its number only. Each step is opened from the file's declaration
(:func:`open_step`), its answer is recorded and leads to the next step (:func:`record_step`),
the run ends with :func:`close`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bapas_sop import audit, humantask
from bapas_sop.calendar import to_wib
from bapas_sop.declared import get_declared
from bapas_sop.declared.models import DeclaredRequest
from bapas_sop.declared.spec import END, EXTENDED_SUFFIX, REQUESTER, DeclaredSop, Email, Step, extended_form_name
from bapas_sop.forms.registry import get_form
from bapas_sop.mail.outbox import mailing
from bapas_sop.policy import StepPolicy
from bapas_sop.settings import get_settings
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_date_id, format_datetime_id

log = logging.getLogger(__name__)

RUNNING = "berjalan"
CLOSED = "selesai"
#: The task that closes a run (every path ends there).
CLOSE_TASK = "selesai"


def run_id_for(number: str) -> str:
    return f"permohonan__{number}"


def first_task(step_id: str) -> str:
    """The task a branch names to start a step (its request task)."""
    return f"{step_id}.kirim_formulir"


# --- intake ---------------------------------------------------------------------------------


def register(sop: DeclaredSop, values: Mapping[str, Any], *, submission_key: str | None = None,
             now: datetime | None = None) -> tuple[DeclaredRequest, bool]:
    """Store a request from the intake form; ``(request, created)``. A repeated post of the same
    page view (same ``submission_key``) finds the request it made."""
    now = now or utcnow()
    if submission_key:
        with session_scope() as session:
            found = session.scalar(select(DeclaredRequest).where(DeclaredRequest.submission_key == submission_key))
            if found is not None:
                session.expunge(found)
                return found, False
    year = to_wib(now).year
    for attempt in range(5):  # two requests at the same moment may pick the same number: try the next
        try:
            with session_scope() as session:
                prefix = f"{sop.number_prefix}-{year}-"
                count = session.scalar(select(func.count()).select_from(DeclaredRequest)
                                       .where(DeclaredRequest.number.like(f"{prefix}%"))) or 0
                request = DeclaredRequest(
                    sop_id=sop.id, number=f"{prefix}{count + 1 + attempt:04d}", submission_key=submission_key,
                    requester_name=str(values.get(sop.intake.requester_name) or "").strip() or "Pemohon",
                    requester_email=str(values[sop.intake.requester_email]).strip(),
                    data=_jsonable(values), answers={}, status=RUNNING, received_at=now,
                )
                session.add(request)
                session.flush()
                audit.record(session, actor="pemohon", action="declared_request_received", subject=request.number,
                             sop=sop.id)
                session.expunge(request)
                return request, True
        except IntegrityError:
            if submission_key:
                with session_scope() as session:
                    found = session.scalar(select(DeclaredRequest).where(DeclaredRequest.submission_key == submission_key))
                    if found is not None:
                        session.expunge(found)
                        return found, False
    raise RuntimeError(f"no free request number for {sop.id} in {year}")


def get(number: str) -> DeclaredRequest:
    with session_scope() as session:
        request = session.scalar(select(DeclaredRequest).where(DeclaredRequest.number == number))
        if request is None:
            raise LookupError(f"no declared request {number!r}")
        session.expunge(request)
        return request


def _for_run(session: Any, dag_id: str, run_id: str) -> DeclaredRequest:
    request = session.scalar(select(DeclaredRequest).where(DeclaredRequest.run_id == run_id,
                                                           DeclaredRequest.dag_id == dag_id))
    if request is None:
        raise LookupError(f"no declared request for run {dag_id}/{run_id}")
    return request


def receive(sop_id: str, number: str, *, dag_id: str, run_id: str) -> None:
    """The run takes up its request (a second run for the same request is refused)."""
    with session_scope() as session:
        request = session.scalar(select(DeclaredRequest).where(DeclaredRequest.number == number))
        if request is None or request.sop_id != sop_id:
            raise LookupError(f"Permohonan {number} tidak ditemukan untuk SOP {sop_id}.")
        if request.run_id not in (None, run_id):
            raise RuntimeError(f"Permohonan {number} sudah ditangani oleh run {request.run_id}.")
        request.dag_id, request.run_id = dag_id, run_id
        audit.record(session, actor="system", action="declared_run_started", subject=number, dag_id=dag_id, run_id=run_id)


# --- steps --------------------------------------------------------------------------------


def context_of(sop: DeclaredSop, request: DeclaredRequest) -> dict[str, Any]:
    """What every template of a declared SOP gets: the request, its answers as values and as
    rows a person reads, the office."""
    shown = {}
    for step_id, answer in (request.answers or {}).items():
        form = _step_form(sop, step_id)
        shown[step_id] = get_form(form).display(answer) if form else []
    return {
        "nomor": request.number,
        "nama": request.requester_name,
        "email": request.requester_email,
        "permohonan": dict(request.data or {}),
        "permohonan_tampil": get_form(sop.intake.form).display(request.data or {}),
        "jawaban": dict(request.answers or {}),
        "jawaban_tampil": shown,
        "diterima": format_datetime_id(request.received_at),
        "tanggal_surat": format_date_id(to_wib(utcnow()).date()),  # the day a letter is made
        "office": get_settings().office,
        "sop_title": sop.title,
    }


def _step_form(sop: DeclaredSop, group_id: str) -> str | None:
    base = group_id.removesuffix(EXTENDED_SUFFIX)
    try:
        step = sop.step(base)
    except KeyError:
        return None
    return extended_form_name(step.form) if group_id.endswith(EXTENDED_SUFFIX) else step.form


def _facts(sop: DeclaredSop, request: DeclaredRequest) -> list[list[str]]:
    ctx = context_of(sop, request)
    facts = [["Nomor permohonan", request.number], ["Diterima", ctx["diterima"]]]
    facts += ctx["permohonan_tampil"]
    for step_id, rows in ctx["jawaban_tampil"].items():
        step = sop.step(step_id.removesuffix(EXTENDED_SUFFIX))
        facts.append([f"— {step.title.format(nomor=request.number)}", ""])
        facts += rows
    return [[str(a), str(b)] for a, b in facts]


def _assignee(step_assignee: str, request: DeclaredRequest) -> Any:
    if step_assignee == REQUESTER:
        return {"name": request.requester_name, "email": request.requester_email}
    return step_assignee


def _policy(step: Step, opened: datetime, due: datetime) -> StepPolicy:
    """The step's times as the core's policy: spans given in working days become the lengths
    they have from this step's deadline."""
    def length(span: Any, *, backwards: bool = False) -> Any:
        if span is None:
            return None
        return due - span.before(due) if backwards else span.after(due) - due

    overrides: dict[str, Any] = {"due": due - opened}
    if step.remind_before is not None:
        overrides["remind_before"] = length(step.remind_before, backwards=True)
    if step.escalate_after is not None:
        overrides["escalate_after"] = length(step.escalate_after)
    if step.expire_after is not None:
        overrides["expire_after"] = length(step.expire_after)
    if step.escalate_to is not None:
        overrides["escalate_to_role"] = step.escalate_to
    if step.default_answer is not None:
        overrides["default_answer"] = dict(step.default_answer)
    if step.assignee == REQUESTER:
        # An outside person is reminded only when the file says so, and nobody is told when they
        # let their time pass (an objection, say, is theirs to make or not).
        if step.remind_before is None:
            overrides["remind_before"] = None
        if step.escalate_after is None:
            overrides["escalate_after"] = None
    return StepPolicy.from_config(**overrides)


def open_step(sop_id: str, group_id: str, *, dag_id: str, run_id: str, now: datetime | None = None) -> humantask.OpenedRequest:
    """Open the step ``group_id`` of this run's request (``<step>`` or ``<step>_diperpanjang``),
    as the file declares it; a retry finds the request it opened."""
    sop = get_declared(sop_id)
    now = now or utcnow()
    extended = group_id.endswith(EXTENDED_SUFFIX)
    step = sop.step(group_id.removesuffix(EXTENDED_SUFFIX))
    with session_scope() as session:
        request = _for_run(session, dag_id, run_id)
        session.expunge(request)
    key = humantask.request_key(dag_id, run_id, group_id)
    if extended:
        first = _form_request(humantask.request_key(dag_id, run_id, step.id))
        due = step.extension.by.after(first.due_at)  # counted from the first deadline (UU 14/2008 Pasal 22 ayat 8)
        title = f"{step.title.format(nomor=request.number)} (diperpanjang)"
        form = extended_form_name(step.form)
    else:
        due = step.due.after(now)
        title = step.title.format(nomor=request.number)
        form = step.form
    invitation = None
    if step.email is not None:
        invitation = humantask.InvitationEmail(
            template=step.email.template, context=context_of(sop, request),
            attachments=_attachment(sop, request, step.email),
        )
    return humantask.open_request(
        key=key, step=group_id, form_name=form, title=title, assignee=_assignee(step.assignee, request),
        context={"facts": _facts(sop, request)}, policy=_policy(step, now, due), due_at=due,
        dag_id=dag_id, run_id=run_id, now=now, invitation=invitation,
    )


def _form_request(key: str) -> Any:
    from bapas_sop.store.models import FormRequest

    with session_scope() as session:
        found = session.scalars(select(FormRequest).where(FormRequest.key == key)).one()
        session.expunge(found)
        return found


def _attachment(sop: DeclaredSop, request: DeclaredRequest, email: Email) -> Any:
    if email.attach is None:
        return None
    attach = email.attach

    def build() -> dict[str, bytes]:
        from bapas_sop.documents import render_pdf

        return {attach.filename.format(nomor=request.number): render_pdf(attach.template, context_of(sop, request))}

    return build


def record_step(sop_id: str, group_id: str, *, dag_id: str, run_id: str) -> str:
    """Record the answer of step ``group_id``, send what the file says follows it, and name the
    task that comes next (a step's request task, or :data:`CLOSE_TASK`)."""
    sop = get_declared(sop_id)
    extended = group_id.endswith(EXTENDED_SUFFIX)
    step = sop.step(group_id.removesuffix(EXTENDED_SUFFIX))
    outcome = humantask.poll(humantask.request_key(dag_id, run_id, group_id))
    if outcome["status"] == humantask.ANSWERED:
        answer = dict(outcome.get("answer") or {})
    elif outcome["status"] == humantask.EXPIRED and outcome.get("default_answer") is not None:
        answer = dict(outcome["default_answer"])
    else:
        raise RuntimeError(f"Langkah {group_id} belum punya jawaban ({outcome['status']}).")
    wants_extension = step.extension is not None and not extended and step.extension.asked(answer)
    with mailing() as batch:
        request = _for_run(batch.session, dag_id, run_id)
        request.answers = {**(request.answers or {}), group_id: answer}
        if sop.outcome is not None and sop.outcome.step == step.id and not wants_extension:
            request.outcome = str(answer.get(sop.outcome.field) or "") or None
        audit.record(batch.session, actor="system", action="declared_step_recorded", subject=request.number,
                     dag_id=dag_id, run_id=run_id, step=group_id, defaulted=outcome["status"] == humantask.EXPIRED)
        batch.session.flush()
        emails = step.extension.notify if wants_extension else step.notify
        for n, email in enumerate(emails):
            _notify(batch, sop, request, email, key=f"{dag_id}/{run_id}/{group_id}/kabar/{n}")
    if wants_extension:
        return first_task(step.id + EXTENDED_SUFFIX)
    following = step.next_step(answer)
    return CLOSE_TASK if following == END else first_task(following)


def _notify(batch: Any, sop: DeclaredSop, request: DeclaredRequest, email: Email, *, key: str) -> None:
    if email.to == REQUESTER:
        to, name = request.requester_email, request.requester_name
    else:
        recipient, _replaced = humantask.resolve_assignee(email.to)
        to, name = recipient.email, recipient.name
    batch.email(key=key, to=to, template=email.template, context={**context_of(sop, request), "penerima": name},
                attachments=_attachment(sop, request, email))


def close(sop_id: str, *, dag_id: str, run_id: str, now: datetime | None = None) -> None:
    with session_scope() as session:
        request = _for_run(session, dag_id, run_id)
        if request.status != CLOSED:
            request.status, request.closed_at = CLOSED, now or utcnow()
            audit.record(session, actor="system", action="declared_request_closed", subject=request.number,
                         dag_id=dag_id, run_id=run_id, outcome=request.outcome)


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    import json

    return json.loads(json.dumps(dict(values), default=str))


__all__ = ["CLOSE_TASK", "close", "context_of", "first_task", "get", "open_step", "receive", "record_step",
           "register", "run_id_for"]
