"""Sensors that release a DAG when a person has answered a form.

A waiting human step costs nothing: the sensor parks its task in Airflow's ``awaiting_input``
state (``TaskAwaitingInput``, Airflow 3.3) with no worker, no trigger and no triggerer, and the
act that settles the step resumes it (:mod:`bapas_sop.airflow.resume`): the form page right
after an answer, the API server's reconciler for an expiry or an answer brought in by a task.
The park carries the step's expiry as its timeout, so Airflow's scheduler ends a wait that
nothing else ends (``check_awaiting_input_timeouts``), and the sensor then applies the step's
default answer or fails with a clear message.

Airflow's graph is acyclic, so an SOP step that goes round ("return to the PK with notes",
"a client declines: ask about the next one") is one :class:`FormLoopSensor` task that waits
for one form request after another, parking again for each. Kept light at import (only
``airflow.sdk``): DAG files import these classes while being parsed; the store is imported
when a task runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Protocol

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException, TaskAwaitingInput

from bapas_sop.airflow.hooks import HumanTaskHook

if TYPE_CHECKING:
    from airflow.sdk import Context

    from bapas_sop.stepstate import RequestKey
    from bapas_sop.store.models import FormRequest

#: The key template of a step's first round, rendered with the task instance's own context.
STEP_KEY_TEMPLATE = "{{{{ ti.dag_id }}}}/{{{{ ti.run_id }}}}/{step}"

#: How long one wait may last at most. Every step has its own expiry, which is the park's
#: timeout; this backstop only bounds a wait whose expiry cannot be read (the request was
#: deleted, the store cannot be read).
BACKSTOP = timedelta(days=60)

#: Airflow's timeout of a park comes this long after the step's expiry: normally the
#: reconciler expires the step and resumes the task first; the timeout is the safety net.
TIMEOUT_GRACE = timedelta(minutes=1)


class FormResponseSensor(BaseSensorOperator):
    """Waits for the answer to a form request and returns it as the task's XCom.

    The returned value is the outcome of :func:`bapas_sop.stepstate.poll`: ``answer`` holds
    the typed values of the form, ``answered_by`` who answered (a stand-in shows up here), and
    ``substituted_for`` whom they stood in for. When the step expires unanswered, the step's
    default answer is returned if it has one (``defaulted`` is then true); otherwise the task
    fails with a message saying who did not answer.

    While the person has not answered, the task is parked in ``awaiting_input`` (what the
    Airflow UI shows): it holds no worker and nothing polls it. It records itself on the request
    (:func:`bapas_sop.stepstate.mark_waiting`) so that whoever settles the step knows which
    task to resume; being resumed, it reads the outcome from the project's database (the
    resume event carries the request key only, never the answer).

    :param request_key: key of the form request to wait for (templated).
    :param timeout: the backstop of one wait, in seconds (default 60 days, :data:`BACKSTOP`).
    """

    template_fields: Sequence[str] = ("request_key",)
    ui_color = "#fdf1d6"

    def __init__(self, *, request_key: str, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", BACKSTOP.total_seconds())
        super().__init__(**kwargs)
        self.request_key = request_key

    @property
    def request_subject(self) -> str | None:
        """Whom or what the awaited request is about (``laporan/<nip>`` gives the NIP): a mapped
        task's index label."""
        from bapas_sop.stepstate import RequestKey

        return RequestKey.parse(self.request_key).subject

    def execute(self, context: Context) -> Any:
        return self.wait_for(context, self.request_key)

    def wait_for(self, context: Context, key: str) -> Any:
        """The step's result now if it is settled; otherwise park until it is."""
        from bapas_sop import stepstate

        outcome = stepstate.poll(key)
        if outcome["status"] == "open":
            ti = context["ti"]
            # Mark first, then read again: an answer stored in between is seen here, one stored
            # after the mark leaves a wake-up for this task (see stepstate.mark_waiting).
            outcome = stepstate.mark_waiting(key, ti.task_id, ti.map_index if ti.map_index is not None else -1)
        if outcome["status"] == "open":
            self.log.info("Waiting for an answer to %s (parked, awaiting input)", key)
            raise TaskAwaitingInput(
                method_name="execute_complete", kwargs={"request_key": key}, timeout=self._park_timeout(outcome),
            )
        stepstate.release(key)
        return self.settled(context, outcome)

    def _park_timeout(self, outcome: Mapping[str, Any]) -> timedelta:
        expires = outcome.get("expires_at")
        backstop = timedelta(seconds=self.timeout)
        if not expires:
            return backstop
        left = datetime.fromisoformat(expires) - datetime.now(timezone.utc) + TIMEOUT_GRACE
        return max(min(left, backstop), TIMEOUT_GRACE)

    def execute_complete(
        self, context: Context, event: Mapping[str, Any] | None = None, request_key: str | None = None, **_: Any
    ) -> Any:
        """Resumed: by an answer or an expiry (the event names the request), or by Airflow's
        timeout (an error event). Either way the project's database says what happened; a step
        still open (a deadline moved, a spurious resume) is waited for again."""
        from bapas_sop import stepstate

        key = (event or {}).get("key") or request_key
        if not key:
            ti = context["ti"]
            key = stepstate.waiting_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index if ti.map_index is not None else -1)
        if not key:
            raise AirflowFailException(
                f"Tugas {self.task_id} dilanjutkan ({(event or {}).get('error', 'tanpa keterangan')}) tetapi "
                "permintaan formulir yang ditunggunya tidak ditemukan; periksa /bapas/admin/permintaan."
            )
        if (event or {}).get("error_type") == "timeout":
            self.log.info("Airflow's timeout of the wait for %s passed; reading the step", key)
        return self.wait_for(context, str(key))

    def settled(self, context: Context, outcome: dict[str, Any]) -> Any:
        """The task's result once the step is answered or expired."""
        return _checked(outcome)


class StatusOnlySensor(FormResponseSensor):
    """Waits like :class:`FormResponseSensor`; its XCom is ``{"key", "status", "defaulted"}`` only.

    For steps whose answers must not enter Airflow (a complaint, an outside requester's request):
    the task after the step reads the answer from the project's database by its key. The resume
    event carries the key only, so nothing else of the step reaches Airflow's tables either.
    """

    def settled(self, context: Context, outcome: dict[str, Any]) -> Any:
        checked = _checked(outcome)
        return {"key": checked["key"], "status": checked["status"], "defaulted": bool(checked.get("defaulted"))}


def _checked(event: Mapping[str, Any] | None) -> dict[str, Any]:
    """An answered outcome, or the default answer of an expired one; fail clearly otherwise."""
    if not event:
        raise AirflowFailException("Tidak ada hasil dari pemantau formulir.")
    outcome = dict(event)
    if outcome["status"] == "answered":
        return outcome
    if outcome["status"] == "expired":
        default = outcome.get("default_answer")
        if default is not None:
            outcome.update(answer=default, defaulted=True, answered_by=None)
            return outcome
        raise AirflowFailException(
            f"Tidak ada jawaban untuk {outcome['key']} sampai batas akhir; langkah ini gagal "
            "dan perlu ditangani admin (jalankan ulang tugas 'kirim_formulir' untuk meminta lagi)."
        )
    raise AirflowFailException(f"Permintaan formulir {outcome.get('key')} tidak ditemukan.")


class LoopStep(Protocol):
    """What a loop does next: wait for ``key`` after sending ``outbox``, or end with ``result``."""

    @property
    def key(self) -> str | None: ...
    @property
    def outbox(self) -> Sequence[str]: ...
    @property
    def result(self) -> Any: ...


@dataclasses.dataclass(frozen=True)
class Next:
    """The core's :class:`LoopStep`: ``Next(key=..., outbox=...)`` waits, ``Next(result=...)`` ends."""

    key: str | None = None
    outbox: tuple[str, ...] = ()
    result: Any = None


class FormLoopSensor(FormResponseSensor):
    """One task that waits for one form request after another until the loop ends.

    A subclass says where the loop starts (:meth:`first_step`, by default the request of
    ``request_key`` that an upstream task opened) and what an answer leads to
    (:meth:`next_step`): the next request to wait for, with the emails announcing it, or the
    task's result. Each request is its own form, link, email and audit row; the task defers
    between them and holds no worker.

    Where the loop stands is read from the answered request's key (:class:`RequestKey`) and
    the store, never from the park's kwargs alone; a retried task replays the loop from its
    first request: every request it opens again is found by key, every email is sent once.

    :param request_key: the first request when an upstream task opened it (templated); empty
        when :meth:`first_step` opens it.
    :param smtp_conn_id: the mail connection for the emails the loop sends.
    """

    def __init__(self, *, request_key: str = "", smtp_conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(request_key=request_key, **kwargs)
        self.smtp_conn_id = smtp_conn_id

    @property
    def hook(self) -> HumanTaskHook:
        return HumanTaskHook(smtp_conn_id=self.smtp_conn_id)

    def first_step(self, context: Context) -> LoopStep:
        """Where the loop starts: by default the request an upstream task opened."""
        return Next(key=self.request_key)

    def next_step(self, context: Context, outcome: dict[str, Any], answered: RequestKey) -> LoopStep:
        """What the settled request ``answered`` (its checked ``outcome``) leads to."""
        raise NotImplementedError

    def execute(self, context: Context) -> Any:
        return self.follow(context, self.first_step(context))

    def settled(self, context: Context, outcome: dict[str, Any]) -> Any:
        from bapas_sop.stepstate import RequestKey

        checked = _checked(outcome)
        return self.follow(context, self.next_step(context, checked, RequestKey.parse(checked["key"])))

    def follow(self, context: Context, step: LoopStep) -> Any:
        """End with the step's result, or send its emails and wait for its request."""
        if step.result is not None:
            return step.result
        if step.outbox:
            self.hook.deliver(step.outbox)
        return self.wait_for(context, str(step.key))


class ReviewLoopSensor(FormLoopSensor):
    """A review that may send the work back for revision, as many rounds as it takes.

    When the reviewer answers ``revise_value`` in ``decision_field``, this task opens the next
    round of the work step (same worker, with the reviewer's notes and their previous answers
    filled in), waits for it, opens the next review round (same reviewer, showing the revised
    work), waits again, and so on. The result is the final review outcome plus ``rounds`` and
    the latest ``work`` outcome. Declared through ``human_step(..., review_of=<work step>)``.

    Both steps' contexts may hold ``base_facts`` (what every round shows, e.g. the case); a
    review round shows them followed by the work answer as label/text rows.

    :param step: step id of the review (its first round was opened upstream).
    :param work_step: step id of the work being reviewed (its first round ran before).
    :param work_form: form of a revision round of the work step.
    :param work_title: title of a revision round (templated; ``{round}`` is then replaced by
        the round number).
    :param review_form: form of the review; ``review_title`` likewise.
    :param decision_field: the review field holding the decision.
    :param revise_value: the decision value meaning "return for revision".
    :param notes_field: the review field whose text is shown to the worker in the next round.
    :param max_rounds: after this many rounds the task fails for an admin to look at.
    """

    # The titles name the case through a template (``{{ ti.xcom_pull(...) }}``): rendered by
    # Airflow before ``{round}`` is filled in, or the email would show the template text.
    template_fields: Sequence[str] = (*FormResponseSensor.template_fields, "work_title", "review_title")

    def __init__(
        self,
        *,
        step: str,
        work_step: str,
        work_form: str,
        work_title: str,
        review_form: str,
        review_title: str,
        decision_field: str = "keputusan",
        revise_value: str = "revisi",
        notes_field: str = "catatan",
        max_rounds: int = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.work_step = work_step
        self.work_form = work_form
        self.work_title = work_title
        self.review_form = review_form
        self.review_title = review_title
        self.decision_field = decision_field
        self.revise_value = revise_value
        self.notes_field = notes_field
        self.max_rounds = max_rounds

    def next_step(self, context: Context, outcome: dict[str, Any], answered: RequestKey) -> LoopStep:
        if answered.step == self.work_step:
            return self._review_again(outcome, answered)
        if answered.step != self.step:
            raise AirflowFailException(f"Permintaan {outcome['key']} bukan bagian dari langkah {self.step}.")
        round_no = answered.round_no
        if outcome["answer"].get(self.decision_field) != self.revise_value:
            work = self.hook.poll(str(dataclasses.replace(answered, step=self.work_step)))
            return Next(result={**outcome, "rounds": round_no, "work": work})
        if round_no >= self.max_rounds:
            raise AirflowFailException(f"Sudah {round_no} kali dikembalikan untuk revisi; perlu keputusan admin.")
        return self._revise(outcome, answered)

    def _revise(self, review: dict[str, Any], answered: RequestKey) -> Next:
        """The reviewer returned the work: the next round of the work step, with their notes."""
        work = _request(dataclasses.replace(answered, step=self.work_step))
        next_round = answered.round_no + 1
        notes = [f"Catatan revisi dari {review.get('answered_by_name') or 'pemeriksa'}",
                 review["answer"].get(self.notes_field) or "-"]
        opened = self.hook.open_request(
            key=str(dataclasses.replace(answered, step=self.work_step, round_no=next_round)),
            step=self.work_step, form_name=self.work_form,
            title=self.work_title.format(round=next_round),
            assignee=f"nip:{work.assignee_nip}" if work.assignee_nip else {"name": work.assignee_name, "email": work.assignee_email},
            context={
                **work.context,
                "round": next_round,
                "facts": [*work.context.get("base_facts", work.context.get("facts", [])), notes],
            },
            prefill=work.latest_response.data if work.latest_response else {},
            dag_id=answered.dag_id, run_id=answered.run_id,
        )
        return Next(key=opened.key, outbox=opened.outbox_keys)

    def _review_again(self, work_outcome: dict[str, Any], answered: RequestKey) -> Next:
        """A revised work arrived: the same reviewer is asked again, in the same round."""
        from bapas_sop.forms.registry import get_form

        review = _request(dataclasses.replace(answered, step=self.step, round_no=1))
        work = _request(answered)
        work_facts = get_form(self.work_form).display(work_outcome["answer"], work.context)
        opened = self.hook.open_request(
            key=str(dataclasses.replace(answered, step=self.step)),
            step=self.step, form_name=self.review_form,
            title=self.review_title.format(round=answered.round_no), assignee=f"nip:{review.assignee_nip}",
            context={
                **review.context,
                "round": answered.round_no,
                "facts": [*review.context.get("base_facts", []), *work_facts],
            },
            dag_id=answered.dag_id, run_id=answered.run_id,
        )
        return Next(key=opened.key, outbox=opened.outbox_keys)


def _request(key: RequestKey) -> FormRequest:
    """A request with its responses loaded (it is read after its session has closed)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest

    with session_scope() as session:
        return session.scalars(
            select(FormRequest).where(FormRequest.key == str(key)).options(selectinload(FormRequest.responses))
        ).one()
