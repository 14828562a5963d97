"""The Airflow side of the substitution loop (substitusi pelaksana): one waiting task per officer.

"An officer who cannot serve names a substitute; the substitute confirms or declines; a decline
goes back to the officer, then to Staf TU" is a loop, and Airflow graphs are acyclic, so (like
Gaji UMR's contact loop) it is a :class:`~bapas_sop.airflow.sensors.FormLoopSensor` that waits
for one form request after another. Kept light at import: the flow is imported when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bapas_sop.airflow.sensors import FormLoopSensor, LoopStep

if TYPE_CHECKING:
    from airflow.sdk import Context

    from bapas_sop.humantask import RequestKey


class SubstitutionSensor(FormLoopSensor):
    """Asks one officer whether they serve on their dates; follows a substitution to its end.

    Returns ``{"nip", "status"}``: ``bersedia`` (serves, or did not answer), or ``digantikan``
    (the duties of the dates named passed to a substitute, recorded as hand-overs).

    :param officer: ``{"nip", "month"}`` (templated; an XComArg item when mapped over the officers).
    """

    template_fields: Sequence[str] = ("officer",)

    def __init__(self, *, officer: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.officer = officer

    def first_step(self, context: Context) -> LoopStep:
        from bapas_sop.sops.piket_hari_libur import flow

        ti = context["ti"]
        return flow.open_availability(self.officer, dag_id=ti.dag_id, run_id=ti.run_id)

    def next_step(self, context: Context, outcome: dict[str, Any], answered: RequestKey) -> LoopStep:
        from bapas_sop.sops.piket_hari_libur import flow

        step = flow.after_answer(self.officer, outcome, answered)
        if step.result is not None:
            self.log.info("Petugas %s: %s", self.officer["nip"], step.result["status"])
        return step


__all__ = ["SubstitutionSensor"]
