"""Sensors that release a DAG when a person has answered a form.

Shaped after Airflow's own ``FileSensor``/``FileTrigger``: a small sensor, a hook that owns
access to the store, an async trigger that polls it. The sensor starts *in the triggerer*
(``start_from_trigger=True``): no worker slot is taken while a person thinks, and the task
skips a worker start it does not need. This also sidesteps apache/airflow#72716 (a trigger
that fires within seconds of a worker's deferral can get its task marked failed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowFailException
from airflow.triggers.base import StartTriggerArgs

from bapas_sop.airflow.hooks import HumanTaskHook
from bapas_sop.airflow.triggers import FormResponseTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The key template of a step's first round; rendered in the worker or, when the sensor starts
#: from the trigger, by the triggerer with the task instance's own context.
STEP_KEY_TEMPLATE = "{{{{ ti.dag_id }}}}/{{{{ ti.run_id }}}}/{step}"


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
        # The step's own expiry decides when waiting ends; the sensor timeout is only a backstop.
        kwargs.setdefault("timeout", timedelta(days=60).total_seconds())
        super().__init__(poke_interval=poll_interval, **kwargs)
        self.request_key = request_key
        self.poll_interval = poll_interval
        self.start_from_trigger = start_from_trigger
        if start_from_trigger:
            # Replaced, not mutated: start_trigger_args is a class attribute shared by every task.
            self.start_trigger_args = dataclasses.replace(
                self.start_trigger_args,
                trigger_kwargs={"request_key": request_key, "poll_interval": poll_interval},
            )

    def poke(self, context: Context) -> bool:
        return HumanTaskHook().poll(self.request_key)["status"] != "open"

    def execute(self, context: Context) -> Any:
        outcome = HumanTaskHook().poll(self.request_key)
        if outcome["status"] == "open":
            self.defer(
                trigger=FormResponseTrigger(request_key=self.request_key, poll_interval=self.poll_interval),
                method_name="execute_complete",
            )
        return self.execute_complete(context, outcome)

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None, **_: Any) -> Any:
        return self.settle(context, _checked(event))

    def settle(self, context: Context, outcome: dict[str, Any]) -> Any:
        """Turn a finished request into the task's result; subclasses may wait for more."""
        return outcome


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


class ReviewLoopSensor(FormResponseSensor):
    """A review that may send the work back for revision, as many rounds as it takes.

    Airflow's graph is acyclic, so "return to the PK with notes" cannot be an edge back. The
    loop lives here instead: when the reviewer answers ``revise_value`` in ``decision_field``,
    this task opens the next round of the work step (same worker, with the reviewer's notes),
    defers until it is answered, opens the next review round, defers again, and so on. Each
    round is its own form request with its own link and audit rows. The result is the final
    review outcome plus ``rounds`` and the latest ``work`` outcome.

    Both steps' contexts may hold ``base_facts`` (what every round shows, e.g. the case); a
    review round shows them followed by the work answer as label/text rows.

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
        smtp_conn_id: str | None = None,
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
        self.smtp_conn_id = smtp_conn_id

    def execute_complete(
        self, context: Context, event: Mapping[str, Any] | None = None, phase: str = "review", round_no: int = 1, **_: Any
    ) -> Any:
        from bapas_sop import humantask
        from bapas_sop.store.db import session_scope
        from bapas_sop.store.models import FormRequest
        from sqlalchemy import select
        from sqlalchemy.orm import selectinload

        outcome = _checked(event)
        ti = context["ti"]
        hook = HumanTaskHook(smtp_conn_id=self.smtp_conn_id)
        phase, round_no = self._position(outcome, ti, phase, round_no)

        def previous(step: str, n: int) -> FormRequest:
            # Responses are loaded here: the request is read after its session has closed.
            with session_scope() as session:
                key = humantask.request_key(ti.dag_id, ti.run_id, step, n)
                return session.scalars(
                    select(FormRequest).where(FormRequest.key == key).options(selectinload(FormRequest.responses))
                ).one()

        if phase == "work":
            # A revised report arrived: ask the reviewer again, in the same round.
            from bapas_sop.forms.registry import get_form

            review = previous(self.step, 1)
            work = previous(self.work_step, round_no)
            work_facts = get_form(self.work_form).display(outcome["answer"], work.context)
            opened = hook.open_request(
                key=humantask.request_key(ti.dag_id, ti.run_id, self.step, round_no),
                step=self.step, form_name=self.review_form,
                title=self.review_title.format(round=round_no), assignee=f"nip:{review.assignee_nip}",
                context={
                    **review.context,
                    "round": round_no,
                    "facts": [*review.context.get("base_facts", []), *work_facts],
                },
                dag_id=ti.dag_id, run_id=ti.run_id,
            )
            hook.deliver(opened.outbox_keys)
            self.defer(
                trigger=FormResponseTrigger(request_key=opened.key, poll_interval=self.poll_interval),
                method_name="execute_complete",
                kwargs={"phase": "review", "round_no": round_no},
            )

        decision = outcome["answer"].get(self.decision_field)
        if decision != self.revise_value:
            outcome["rounds"] = round_no
            outcome["work"] = self._latest_work(ti, round_no)
            return outcome
        if round_no >= self.max_rounds:
            raise AirflowFailException(
                f"Sudah {round_no} kali dikembalikan untuk revisi; perlu keputusan admin."
            )
        work = previous(self.work_step, round_no)
        next_round = round_no + 1
        opened = hook.open_request(
            key=humantask.request_key(ti.dag_id, ti.run_id, self.work_step, next_round),
            step=self.work_step, form_name=self.work_form,
            title=self.work_title.format(round=next_round),
            assignee=f"nip:{work.assignee_nip}" if work.assignee_nip else {"name": work.assignee_name, "email": work.assignee_email},
            context={
                **work.context,
                "round": next_round,
                "facts": [
                    *work.context.get("base_facts", work.context.get("facts", [])),
                    [f"Catatan revisi dari {outcome.get('answered_by_name') or 'pemeriksa'}", outcome["answer"].get(self.notes_field) or "-"],
                ],
            },
            prefill=work.latest_response.data if work.latest_response else {},
            dag_id=ti.dag_id, run_id=ti.run_id,
        )
        hook.deliver(opened.outbox_keys)
        self.defer(
            trigger=FormResponseTrigger(request_key=opened.key, poll_interval=self.poll_interval),
            method_name="execute_complete",
            kwargs={"phase": "work", "round_no": next_round},
        )

    def _position(self, outcome: Mapping[str, Any], ti: Any, phase: str, round_no: int) -> tuple[str, int]:
        """Which step and round the event answers, read from the answered request's key.

        The key (``dag/run/step[/rN]``) is the authority: the ``phase``/``round_no`` kwargs given
        to ``defer`` are lost when ``dag.test()`` resumes a task (apache/airflow#69942; still so
        in the Airflow 3.3.2 used here), and a revised report would then pass for an approval.
        """
        from bapas_sop import humantask

        key = str(outcome.get("key") or "")
        for step, step_phase in ((self.work_step, "work"), (self.step, "review")):
            for n in range(1, self.max_rounds + 1):
                if key == humantask.request_key(ti.dag_id, ti.run_id, step, n):
                    return step_phase, n
        return phase, round_no

    def _latest_work(self, ti: Any, round_no: int) -> dict[str, Any]:
        from bapas_sop import humantask

        return humantask.poll(humantask.request_key(ti.dag_id, ti.run_id, self.work_step, round_no))
