"""The Airflow side of a declared SOP's step: Airflow sees the request number and the step's
status, never the requester or what anyone typed.

The core's ``human_step`` renders whom it asks and what the form shows as templated fields and
returns the typed answer as XCom. A declared SOP asks an outside person (the requester) and shows
their request, so its steps are ``human_step``\\ s with:

* :class:`DeclaredRequestOperator`: no templated fields; it asks
  :func:`bapas_sop.declared.flow.open_step` to open the step as the file declares it;
* :class:`DeclaredResponseTrigger` fires with the step's status only, and
  :class:`DeclaredStepSensor` returns ``{"key", "status", "defaulted"}`` as XCom; the task after
  a step reads the answer from the project database.

Kept light: only ``airflow.sdk`` and the core's operator, sensor and trigger at import.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import TriggerEvent

from bapas_sop.airflow.hooks import HumanTaskHook
from bapas_sop.airflow.operators import FormRequestOperator
from bapas_sop.airflow.sensors import FormResponseSensor
from bapas_sop.airflow.triggers import FormResponseTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context

#: What of a step's outcome may leave the project database: whether and how it ended.
_OUTCOME_KEYS = ("status", "key", "request_id", "default_answer")


def bare_outcome(outcome: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``outcome`` without the answer and without who answered (a requester's email)."""
    if outcome is None:
        return None
    bare = {k: outcome[k] for k in _OUTCOME_KEYS if k in outcome}
    if bare.get("default_answer") is not None:
        bare["default_answer"] = {"_": "bawaan"}  # that there is one, not what it says
    return bare


class DeclaredResponseTrigger(FormResponseTrigger):
    """:class:`FormResponseTrigger` whose event carries the step's status only."""

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "bapas_sop.declared.steps.DeclaredResponseTrigger",
            {"request_key": self.request_key, "poll_interval": self.poll_interval},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async for event in super().run():
            yield TriggerEvent(bare_outcome(event.payload))


class DeclaredStepSensor(FormResponseSensor):
    """Waits for a step like :class:`FormResponseSensor`; its XCom is ``{"key", "status", "defaulted"}``."""

    start_trigger_args = dataclasses.replace(
        FormResponseSensor.start_trigger_args, trigger_cls="bapas_sop.declared.steps.DeclaredResponseTrigger",
    )

    def wait_for(self, context: Context, key: str) -> Any:
        outcome = HumanTaskHook().poll(key)
        if outcome["status"] == "open":
            self.defer(
                trigger=DeclaredResponseTrigger(request_key=key, poll_interval=self.poll_interval),
                method_name="execute_complete",
                timeout=timedelta(seconds=self.timeout),
            )
        return self.execute_complete(context, bare_outcome(outcome))

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None, **_: Any) -> Any:
        checked = super().execute_complete(context, bare_outcome(event))
        return {"key": checked["key"], "status": checked["status"], "defaulted": bool(checked.get("defaulted"))}


class DeclaredRequestOperator(FormRequestOperator):
    """Opens step ``step`` of declared SOP ``sop_id`` for this run's request and emails the link.

    Whom it asks, the title, what the form shows and the deadline come from the SOP's file and
    the request in the project database, when the task runs; nothing of them is rendered by
    Airflow. Safe to retry: the request key is ``dag_id/run_id/step``.

    :param sop_id: the declared SOP (its file's ``id``).
    """

    template_fields: Sequence[str] = ()

    def __init__(self, *, sop_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sop_id = sop_id

    def execute(self, context: Context) -> dict[str, Any]:
        from bapas_sop.declared import flow

        ti = context["ti"]
        opened = flow.open_step(self.sop_id, self.step, dag_id=ti.dag_id, run_id=ti.run_id)
        HumanTaskHook(smtp_conn_id=self.smtp_conn_id).deliver(opened.outbox_keys)
        self.log.info("Step %s opened (%s)", self.step, "new" if opened.created else "found again")
        return {"key": opened.key}


__all__ = ["DeclaredRequestOperator", "DeclaredResponseTrigger", "DeclaredStepSensor", "bare_outcome"]
