"""The Airflow side of a confidential human step: Airflow sees the ticket's step, never its contents.

The core's ``human_step`` renders what its form shows (``form_context``), whom it asks and its
title as templated fields, and returns the typed answer as XCom: right for the other SOPs, but a
complaint's text, its complainant's name and email would then sit in Airflow's rendered fields,
trigger events and XCom, readable by anyone with an Airflow login. Here:

* :class:`ConfidentialRequestOperator` has no templated fields: it asks
  :func:`bapas_sop.sops.yanpatmas.flow.open_step` (over the store) to open the step for its run;
* :class:`ConfidentialStepSensor` parks like every human step (the resume event carries the
  request key only) and returns ``{"key", "status"}`` as XCom: the answer stays in the store;
* the task after a step reads the answer from the store by its key.

Kept light: only ``airflow.sdk`` and the core's sensor at import (DAG files import it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from bapas_sop.airflow.hooks import HumanTaskHook
from bapas_sop.airflow.operators import HumanStep
from bapas_sop.airflow.sensors import STEP_KEY_TEMPLATE, StatusOnlySensor
from bapas_sop.airflow.triggers import FormResponseTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

#: Whom a step asks when that is known only from the complaint: the complainant, or the examiner
#: the Kepala Bapas chose (written like a template: resolved when the step opens, not a role).
COMPLAINANT = "{pelapor}"
EXAMINER = "{pemeriksa}"


class ConfidentialResponseTrigger(FormResponseTrigger):
    """A step deferred by an earlier version: fires at once with the key, the task parks anew."""


class ConfidentialStepSensor(StatusOnlySensor):
    """The core's :class:`StatusOnlySensor` under the name the DAG's tasks have carried."""


class ConfidentialRequestOperator(BaseOperator):
    """Opens the step ``step`` of this run's complaint on form ``form`` and emails the person's link.

    Whom it asks, the title, what the form shows and the deadline come from the store
    (:func:`bapas_sop.sops.yanpatmas.flow.open_step`); nothing of them is an operator field.
    Safe to retry: the request key is ``dag_id/run_id/step``.

    :param step: the step id (the task group's id).
    :param form: name of the FormSpec.
    :param assignee: who answers: a role key (``ulp``, ``kabapas``), :data:`EXAMINER` or :data:`COMPLAINANT`.
    """

    template_fields: Sequence[str] = ()
    ui_color = "#e3f1fd"

    def __init__(self, *, step: str, form: str, assignee: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.step = step
        self.form = form
        self.assignee = assignee

    def execute(self, context: Context) -> dict[str, Any]:
        from bapas_sop.sops.yanpatmas import flow

        ti = context["ti"]
        opened = flow.open_step(self.step, self.form, self.assignee, dag_id=ti.dag_id, run_id=ti.run_id)
        HumanTaskHook().deliver(opened.outbox_keys)
        self.log.info("Step %s opened (%s)", self.step, "new" if opened.created else "found again")
        return {"key": opened.key}


def confidential_step(step: str, *, form: str, assignee: str, doc_md: str, trigger_rule: str | None = None) -> HumanStep:
    """A task group ``<step>`` of ``kirim_formulir`` (ask) and ``tunggu_jawaban`` (wait), as
    ``human_step`` makes, that keeps the complaint out of Airflow."""
    with HumanStep(group_id=step, tooltip=doc_md.split("**")[1] if "**" in doc_md else step) as group:
        extra = {"trigger_rule": trigger_rule} if trigger_rule else {}
        request = ConfidentialRequestOperator(task_id="kirim_formulir", step=step, form=form, assignee=assignee,
                                              doc_md=doc_md, **extra)
        response = ConfidentialStepSensor(task_id="tunggu_jawaban", request_key=STEP_KEY_TEMPLATE.format(step=step),
                                          doc_md=doc_md)
        request >> response
    return group
