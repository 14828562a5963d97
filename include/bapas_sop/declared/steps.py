"""The Airflow side of a declared SOP's step: Airflow sees the request number and the step's
status, never the requester or what anyone typed.

The core's ``human_step`` renders whom it asks and what the form shows as templated fields and
returns the typed answer as XCom. A declared SOP asks an outside person (the requester) and shows
their request, so its steps are ``human_step``\\ s with:

* :class:`DeclaredRequestOperator`: no templated fields; it asks
  :func:`bapas_sop.declared.flow.open_step` to open the step as the file declares it;
* :class:`DeclaredStepSensor` (the core's :class:`StatusOnlySensor`) parks like every human step
  and returns ``{"key", "status", "defaulted"}`` as XCom; the task after a step reads the answer
  from the project database.

Kept light: only ``airflow.sdk`` and the core's operator and sensor at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bapas_sop.airflow.hooks import HumanTaskHook
from bapas_sop.airflow.operators import FormRequestOperator
from bapas_sop.airflow.sensors import StatusOnlySensor

if TYPE_CHECKING:
    from airflow.sdk import Context


class DeclaredStepSensor(StatusOnlySensor):
    """Waits for a declared SOP's step; its XCom is ``{"key", "status", "defaulted"}`` only."""


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


__all__ = ["DeclaredRequestOperator", "DeclaredStepSensor"]
