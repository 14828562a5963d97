"""Operators that ask people, and the ``human_step`` helper the DAG files use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, TaskGroup

from bapas_sop.airflow.hooks import HumanTaskHook
from bapas_sop.airflow.sensors import STEP_KEY_TEMPLATE, FormResponseSensor, ReviewLoopSensor

if TYPE_CHECKING:
    from airflow.sdk import Context

    from bapas_sop.policy import StepPolicy


class FormRequestOperator(BaseOperator):
    """Opens a form request for one person and emails them their personal link.

    Safe to retry: the request key is ``dag_id/run_id/step``, so a second try finds the
    request and the outbox row it made the first time and sends nothing again. An email that
    cannot be sent right now stays queued (the sweep retries it); the request stands.

    :param step: the step id (the task group's id): part of the request key.
    :param form: name of the FormSpec.
    :param title: what the person is asked, as the email subject and page heading (templated).
    :param assignee: a role key (``"kabapas"``), ``"nip:<NIP>"``, or ``{"name", "email"}`` for an
        outside person (templated; an XComArg works). On-leave people are replaced by their
        stand-in.
    :param form_context: what the form shows (``facts``: label/value pairs) and the runtime
        choices it offers (templated).
    :param prefill: initial values of the fields (templated).
    :param policy: due, reminder, escalation and expiry times; the office defaults otherwise.
    :param due_at: an absolute deadline (aware datetime or ISO text), overriding ``policy.due``.
    """

    template_fields: Sequence[str] = ("title", "assignee", "form_context", "prefill", "due_at")
    ui_color = "#e3f1fd"

    def __init__(
        self,
        *,
        step: str,
        form: str,
        title: str,
        assignee: Any,
        form_context: Any = None,
        prefill: Any = None,
        policy: StepPolicy | None = None,
        due_at: Any = None,
        smtp_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.form = form
        self.title = title
        self.assignee = assignee
        self.form_context = form_context
        self.prefill = prefill
        self.policy = policy
        self.due_at = due_at
        self.smtp_conn_id = smtp_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from bapas_sop.humantask import request_key

        ti = context["ti"]
        hook = HumanTaskHook(smtp_conn_id=self.smtp_conn_id)
        opened = hook.open_request(
            key=request_key(ti.dag_id, ti.run_id, self.step),
            step=self.step,
            form_name=self.form,
            title=self.title,
            assignee=self.assignee,
            context=self.form_context or {},
            prefill=self.prefill or {},
            policy=self.policy,
            due_at=_as_datetime(self.due_at),
            dag_id=ti.dag_id,
            run_id=ti.run_id,
        )
        hook.deliver(opened.outbox_keys)
        self.log.info(
            "Asked %s (%s) for %s%s", opened.assignee.name, opened.assignee.email, self.step,
            f", standing in for {opened.substituted_for}" if opened.substituted_for else "",
        )
        # The link is a credential: it stays out of XCom and the logs.
        return {"key": opened.key, "assignee": opened.assignee.person_key, "assignee_name": opened.assignee.name}


def _as_datetime(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"due_at must carry a time zone: {value!r}")
    return parsed


class HumanStep(TaskGroup):
    """A task group ``<step>`` of two tasks: ``kirim_formulir`` (ask) and ``tunggu_jawaban`` (wait).

    It chains like any task group (``a >> step >> b``); ``step.answer`` is the waiting task's
    XCom (the outcome with the typed ``answer``) for downstream tasks.
    """

    @property
    def request(self) -> FormRequestOperator:
        return self.children[self.child_id("kirim_formulir")]  # type: ignore[return-value]

    @property
    def response(self) -> FormResponseSensor:
        return self.children[self.child_id("tunggu_jawaban")]  # type: ignore[return-value]

    @property
    def answer(self) -> Any:
        return self.response.output


def human_step(
    step: str,
    *,
    form: str,
    title: str,
    assignee: Any,
    form_context: Any = None,
    prefill: Any = None,
    policy: StepPolicy | None = None,
    due_at: Any = None,
    doc_md: str | None = None,
    review_of: HumanStep | None = None,
    revision_title: str | None = None,
    review_round_title: str | None = None,
    sensor_class: type[FormResponseSensor] | None = None,
    sensor_kwargs: Mapping[str, Any] | None = None,
    request_class: type[FormRequestOperator] | None = None,
    request_kwargs: Mapping[str, Any] | None = None,
) -> HumanStep:
    """Declare one human step of an SOP: ask a person on a form, then wait for the answer.

    A review names the step it reviews, ``review_of=<that human_step>``: its waiting task is then
    a :class:`~bapas_sop.airflow.sensors.ReviewLoopSensor` that sends the work back for revision
    as many rounds as it takes, the work's step id and form read from the reviewed step.

    :param revision_title: with ``review_of``, the title of the work's revision round ``{round}``
        (default: "Revisi ke-{round}: " and the reviewed step's title).
    :param review_round_title: with ``review_of``, the title of review round ``{round}``
        (default: this step's title and "(revisi ke-{round})").
    :param sensor_kwargs: further arguments of the waiting task (e.g. a review's
        ``decision_field``, ``max_rounds``).
    :param request_class: the asking task's class, a :class:`FormRequestOperator` (default) or a
        subclass that decides whom to ask and what to show when it runs (declared SOPs).
    :param request_kwargs: further arguments of the asking task (e.g. ``trigger_rule``).
    """
    extra = dict(sensor_kwargs or {})
    if review_of is not None:
        work = review_of.request
        sensor_class = sensor_class or ReviewLoopSensor
        extra = {
            "step": step,
            "work_step": work.step,
            "work_form": work.form,
            "work_title": revision_title or "Revisi ke-{round}: " + work.title,
            "review_form": form,
            "review_title": review_round_title or title + " (revisi ke-{round})",
            **extra,
        }
    elif revision_title or review_round_title:
        raise ValueError(f"{step}: revision titles are for a review step (review_of=...)")
    with HumanStep(group_id=step, tooltip=title) as group:
        request = (request_class or FormRequestOperator)(
            task_id="kirim_formulir",
            step=step,
            form=form,
            title=title,
            assignee=assignee,
            form_context=form_context,
            prefill=prefill,
            policy=policy,
            due_at=due_at,
            doc_md=doc_md,
            **dict(request_kwargs or {}),
        )
        response = (sensor_class or FormResponseSensor)(
            task_id="tunggu_jawaban",
            request_key=STEP_KEY_TEMPLATE.format(step=step),
            doc_md=doc_md,
            **extra,
        )
        request >> response
    return group
