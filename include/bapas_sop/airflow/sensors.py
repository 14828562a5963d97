"""Sensors that release a DAG when a person has answered a form.

Shaped after Airflow's own ``FileSensor``/``FileTrigger``: a small sensor, a hook that owns
access to the store, an async trigger that polls it. The sensor starts *in the triggerer*
(``start_from_trigger=True``): no worker slot is taken while a person thinks, and the task
skips a worker start it does not need. This also sidesteps apache/airflow#72716 (a trigger
that fires within seconds of a worker's deferral can get its task marked failed).

Airflow's graph is acyclic, so an SOP step that goes round ("return to the PK with notes",
"a client declines: ask about the next one") is one :class:`FormLoopSensor` task that waits
for one form request after another. Kept light at import (only ``airflow.sdk`` and the trigger):
DAG files import these classes while being parsed; the store is imported when a task runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout
from airflow.triggers.base import StartTriggerArgs

from bapas_sop.airflow.hooks import HumanTaskHook
from bapas_sop.airflow.triggers import FormResponseTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

    from bapas_sop.humantask import RequestKey
    from bapas_sop.store.models import FormRequest

#: The key template of a step's first round; rendered in the worker or, when the sensor starts
#: from the trigger, by the triggerer with the task instance's own context.
STEP_KEY_TEMPLATE = "{{{{ ti.dag_id }}}}/{{{{ ti.run_id }}}}/{step}"

#: How long one wait may last at most. Every step has its own expiry, after which the store
#: answers "expired" and the task goes on; this backstop only ends a wait that nothing else
#: will end (the request was deleted, the store cannot be read).
BACKSTOP = timedelta(days=60)


class FormResponseSensor(BaseSensorOperator):
    """Waits for the answer to a form request and returns it as the task's XCom.

    The returned value is the outcome of :func:`bapas_sop.humantask.poll`: ``answer`` holds
    the typed values of the form, ``answered_by`` who answered (a stand-in shows up here), and
    ``substituted_for`` whom they stood in for. When the step expires unanswered, the step's
    default answer is returned if it has one (``defaulted`` is then true); otherwise the task
    fails with a message saying who did not answer.

    :param request_key: key of the form request to wait for (templated).
    :param poll_interval: the longest time between two reads of the step (in the triggerer one
        query reads every waiting step at once, so a short interval costs nothing per step).
    :param start_from_trigger: start in the triggerer without a worker (default True).
    :param timeout: the backstop of one wait, in seconds (default 60 days, :data:`BACKSTOP`);
        past it the task fails with a message naming the request.
    """

    template_fields: Sequence[str] = ("request_key",)
    ui_color = "#fdf1d6"
    start_trigger_args = StartTriggerArgs(
        trigger_cls="bapas_sop.airflow.triggers.FormResponseTrigger",
        trigger_kwargs={},
        next_method="execute_complete",
        next_kwargs=None,
        timeout=None,
    )
    start_from_trigger = False

    def __init__(
        self,
        *,
        request_key: str,
        poll_interval: float = 0.5,
        start_from_trigger: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("timeout", BACKSTOP.total_seconds())
        super().__init__(poke_interval=poll_interval, **kwargs)
        self.request_key = request_key
        self.poll_interval = poll_interval
        self.start_from_trigger = start_from_trigger
        if start_from_trigger:
            # Replaced, not mutated: start_trigger_args is a class attribute shared by every task.
            self.start_trigger_args = dataclasses.replace(
                self.start_trigger_args,
                trigger_kwargs={"request_key": request_key, "poll_interval": poll_interval},
                timeout=timedelta(seconds=self.timeout),
            )

    @property
    def request_subject(self) -> str | None:
        """Whom or what the awaited request is about (``laporan/<nip>`` gives the NIP): a mapped
        task's index label."""
        from bapas_sop.humantask import RequestKey

        return RequestKey.parse(self.request_key).subject

    def execute(self, context: Context) -> Any:
        return self.wait_for(context, self.request_key)

    def wait_for(self, context: Context, key: str) -> Any:
        """The outcome of ``key`` now if it is settled; otherwise defer until it is, for at
        most ``timeout`` seconds (the deferral carries it, so the scheduler enforces it)."""
        outcome = HumanTaskHook().poll(key)
        if outcome["status"] == "open":
            self.defer(
                trigger=FormResponseTrigger(request_key=key, poll_interval=self.poll_interval),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.timeout),
            )
        return self.execute_complete(context, outcome)

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None, **_: Any) -> Any:
        return _checked(event)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except AirflowSensorTimeout as exc:
            waited = timedelta(seconds=self.timeout)
            raise AirflowSensorTimeout(
                f"Tugas {self.task_id} sudah menunggu jawaban formulir lebih dari {_as_text(waited)} "
                f"(batas pengaman) tanpa kabar dari penyimpanan ({self.request_key or 'permintaan terakhir'}): "
                "periksa apakah permintaannya masih ada di /bapas/admin/permintaan, lalu jalankan ulang tugas ini."
            ) from exc


def _as_text(span: timedelta) -> str:
    if span.days and not span.seconds:
        return f"{span.days} hari"
    return f"{int(span.total_seconds())} detik"


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
    the store, never from ``defer(kwargs=...)``: ``dag.test()`` of Airflow 3.3 drops those
    kwargs when it resumes a task (apache/airflow#69942). For the same reason a retried task
    replays the loop from its first request: every request it opens again is found by key,
    every email is sent once.

    :param request_key: the first request when an upstream task opened it (templated); empty
        when :meth:`first_step` opens it (then ``start_from_trigger`` must be False).
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

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None, **_: Any) -> Any:
        from bapas_sop.humantask import RequestKey

        outcome = _checked(event)
        return self.follow(context, self.next_step(context, outcome, RequestKey.parse(outcome["key"])))

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
