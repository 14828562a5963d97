"""The Airflow side of Tamu Ngopi's follow-up: one waiting task per action item.

"The owner is reminded until the item is reported done" is a loop, and Airflow graphs are
acyclic, so (like Gaji UMR's contact loop) it is a :class:`~bapas_sop.airflow.sensors.FormLoopSensor`:
it asks the owner for a report due on the item's due date, defers until they answer, and on
*masih berjalan* (or no answer) asks again a reporting interval later, until the owner reports
it done or ``max_rounds`` reports were asked. Every round is its own request with a reminder
the day before; a round past the item's due date escalates to the Kabapas when unanswered.

Kept light (only the sensor base at import): the DAG file imports it while being parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bapas_sop.airflow.sensors import FormLoopSensor, LoopStep

if TYPE_CHECKING:
    from airflow.sdk import Context

    from bapas_sop.humantask import RequestKey


class FollowUpSensor(FormLoopSensor):
    """Follows one action item until reported done; returns ``{"item_id", "status", "reports"}``.

    :param item: ``{"item_id": <id>}`` (templated; an XComArg when mapped over the decided items).
    :param max_rounds: how many reports one run asks for at most (templated: the run's
        ``putaran_laporan``); the item then stays open and carries over to the next agendas.
    """

    template_fields: Sequence[str] = ("item", "max_rounds")

    def __init__(self, *, item: Any, max_rounds: Any = 6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item = item
        self.max_rounds = max_rounds

    def first_step(self, context: Context) -> LoopStep:
        from bapas_sop.sops.tamu_ngopi import flow

        ti = context["ti"]
        return flow.open_follow_up(int(self.item["item_id"]), 1, dag_id=ti.dag_id, run_id=ti.run_id)

    def next_step(self, context: Context, outcome: dict[str, Any], answered: RequestKey) -> LoopStep:
        from bapas_sop.sops.tamu_ngopi import flow

        step = flow.after_follow_up(outcome, max_rounds=int(self.max_rounds))
        if step.result is not None:
            self.log.info("Action item %s: %s", self.item["item_id"], step.result)
        return step


__all__ = ["FollowUpSensor"]
