"""The Airflow side of Gaji UMR's contact loop: one waiting task per invited client.

"A decline pulls the next eligible client" is a loop, and Airflow graphs are acyclic, so
(like ``ReviewLoopSensor`` for revisions) the loop lives inside one deferrable task: it asks
the client's PK, defers until the PK answers, and on *menolak* / *tidak terhubung* asks about
the next client of the rotation and defers again, until a client confirms or the slot has
had ``max_attempts`` clients. Each ask is its own form request, email, link and audit row.

Kept light (only ``airflow.sdk`` and the sensor base at import) because the DAG file imports
it while being parsed; the rules are in :mod:`bapas_sop.sops.gaji_umr.flow`, imported when the
task runs. The position in the loop is read back from the answered request's key and the
store, never from ``defer(kwargs=...)``, which ``dag.test()`` of Airflow 3.3 drops
(apache/airflow#69942).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bapas_sop.airflow.hooks import HumanTaskHook
from bapas_sop.airflow.sensors import FormResponseSensor, _checked
from bapas_sop.airflow.triggers import FormResponseTrigger

if TYPE_CHECKING:
    from airflow.sdk import Context


class ClientContactSensor(FormResponseSensor):
    """Asks the PK of one invited client to confirm contact; replaces a client who declines.

    Returns ``{"slot", "client_id", "name", "pk_nip", "status": "dikonfirmasi", "attempts"}``,
    or ``{"slot", "client_id": None, "status": "tidak_terisi"}`` when nobody could be found.

    :param slot: what :func:`bapas_sop.sops.gaji_umr.flow.record_selection` gives one client
        (templated; an XComArg when mapped over the month's clients).
    :param max_attempts: how many clients one slot may try.
    """

    template_fields: Sequence[str] = ("slot",)

    def __init__(self, *, slot: Any, max_attempts: int = 4, poll_interval: float = 10.0, **kwargs: Any) -> None:
        kwargs.setdefault("start_from_trigger", False)  # the first request is opened by this task
        super().__init__(request_key="", poll_interval=poll_interval, **kwargs)
        self.slot = slot
        self.max_attempts = max_attempts

    def execute(self, context: Context) -> Any:
        from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

        ti = context["ti"]
        step = gaji_umr_flow.open_contact(self.slot, dag_id=ti.dag_id, run_id=ti.run_id)
        return self._follow(context, step)

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None, **_: Any) -> Any:
        from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

        ti = context["ti"]
        outcome = _checked(event)
        step = gaji_umr_flow.after_contact(self.slot, outcome, dag_id=ti.dag_id, run_id=ti.run_id,
                                           max_attempts=self.max_attempts)
        return self._follow(context, step)

    def _follow(self, context: Context, step: Any) -> Any:
        if step.result is not None:
            self.log.info("Slot %s: %s", self.slot["slot"], step.result)
            return step.result
        hook = HumanTaskHook()
        if step.outbox:
            hook.deliver(step.outbox)
        outcome = hook.poll(step.key)
        if outcome["status"] == "open":
            self.defer(
                trigger=FormResponseTrigger(request_key=step.key, poll_interval=self.poll_interval),
                method_name="execute_complete",
            )
        return self.execute_complete(context, outcome)


__all__ = ["ClientContactSensor"]
