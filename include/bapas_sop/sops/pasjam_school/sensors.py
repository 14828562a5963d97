"""The Airflow side of Pasjam School's waiting steps: one :class:`FormLoopSensor` for all three.

* ``observasi_sekolah`` (mapped over the candidate schools): asks the school's PK/APK for the
  observation and ends with the incidents counted;
* ``koordinasi_dengan_sekolah``: asks the picked school's contact (an outside person, by email);
  a refusal or no answer asks the next school of the ranking, in this one task, until a school
  agrees or ``max_attempts`` schools were asked (Airflow graphs are acyclic: the loop is a
  sensor, like Gaji UMR's ``ClientContactSensor``);
* ``umpan_balik_guru``: records the day, then asks the school's contact for the teachers' feedback.

Each ask is its own form request, email, link and audit row. Kept light (only the sensor base at
import): the DAG file imports it while being parsed; the flow is imported when the task runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bapas_sop.airflow.sensors import FormLoopSensor, LoopStep

if TYPE_CHECKING:
    from airflow.sdk import Context

    from bapas_sop.humantask import RequestKey

#: step -> (the flow's function opening the first request, the one reading an answer).
STEPS = {
    "observasi": ("open_observation", "after_observation"),
    "koordinasi": ("open_coordination", "after_coordination"),
    "umpan_balik": ("open_feedback", "after_feedback"),
}


class SchoolStepSensor(FormLoopSensor):
    """Opens one of Pasjam School's requests and waits for it; ``koordinasi`` loops over schools.

    :param step: ``observasi``, ``koordinasi`` or ``umpan_balik``.
    :param payload: what the step works on (templated; an XComArg when mapped): a candidate
        school's slot, the Kasubsi's pick and order, or the schedule and the day's answer.
    :param max_attempts: ``koordinasi`` only: how many schools may be asked.
    """

    template_fields: Sequence[str] = ("payload",)

    def __init__(self, *, step: str, payload: Any, max_attempts: int = 4,
                 **kwargs: Any) -> None:
        if step not in STEPS:
            raise ValueError(f"unknown Pasjam School step {step!r}; one of {sorted(STEPS)}")
        super().__init__(**kwargs)
        self.step = step
        self.payload = payload
        self.max_attempts = max_attempts

    def first_step(self, context: Context) -> LoopStep:
        from bapas_sop.sops.pasjam_school import flow

        ti = context["ti"]
        return getattr(flow, STEPS[self.step][0])(self.payload, dag_id=ti.dag_id, run_id=ti.run_id)

    def next_step(self, context: Context, outcome: dict[str, Any], answered: RequestKey) -> LoopStep:
        from bapas_sop.sops.pasjam_school import flow

        extra = {"max_attempts": self.max_attempts} if self.step == "koordinasi" else {}
        step = getattr(flow, STEPS[self.step][1])(self.payload, outcome, dag_id=answered.dag_id,
                                                   run_id=answered.run_id, **extra)
        if step.result is not None:
            self.log.info("%s: %s", self.task_id, step.result)
        return step


__all__ = ["SchoolStepSensor"]
