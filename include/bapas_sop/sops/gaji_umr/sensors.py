"""The Airflow side of Gaji UMR's contact loop: one waiting task per invited client.

"A decline pulls the next eligible client" is a loop, and Airflow graphs are acyclic, so
(like ``ReviewLoopSensor`` for revisions) the loop is a :class:`~bapas_sop.airflow.sensors.FormLoopSensor`:
it asks the client's PK, defers until the PK answers, and on *menolak* / *tidak terhubung*
asks about the next client of the rotation and defers again, until a client confirms or the
slot has had ``max_attempts`` clients. Each ask is its own form request, email, link and
audit row.

Kept light (only the sensor base at import) because the DAG file imports it while being
parsed; the rules are in :mod:`bapas_sop.sops.gaji_umr.flow`, imported when the task runs,
and its ``ContactStep`` is what the base's loop follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bapas_sop.airflow.sensors import FormLoopSensor, LoopStep

if TYPE_CHECKING:
    from airflow.sdk import Context

    from bapas_sop.humantask import RequestKey


class ClientContactSensor(FormLoopSensor):
    """Asks the PK of one invited client to confirm contact; replaces a client who declines.

    Returns ``{"slot", "client_id", "name", "pk_nip", "status": "dikonfirmasi", "attempts"}``,
    or ``{"slot", "client_id": None, "status": "tidak_terisi"}`` when nobody could be found.

    :param slot: what :func:`bapas_sop.sops.gaji_umr.flow.record_selection` gives one client
        (templated; an XComArg when mapped over the month's clients).
    :param max_attempts: how many clients one slot may try.
    """

    template_fields: Sequence[str] = ("slot",)

    def __init__(self, *, slot: Any, max_attempts: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.slot = slot
        self.max_attempts = max_attempts

    def first_step(self, context: Context) -> LoopStep:
        from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

        ti = context["ti"]
        return self._logged(gaji_umr_flow.open_contact(self.slot, dag_id=ti.dag_id, run_id=ti.run_id))

    def next_step(self, context: Context, outcome: dict[str, Any], answered: RequestKey) -> LoopStep:
        from bapas_sop.sops.gaji_umr import flow as gaji_umr_flow

        return self._logged(gaji_umr_flow.after_contact(
            self.slot, outcome, dag_id=answered.dag_id, run_id=answered.run_id, max_attempts=self.max_attempts))

    def _logged(self, step: LoopStep) -> LoopStep:
        if step.result is not None:
            self.log.info("Slot %s: %s", self.slot["slot"], step.result)
        return step


__all__ = ["ClientContactSensor"]
