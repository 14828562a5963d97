"""FormResponseTrigger after the move to awaiting_input: a step an earlier version deferred is
handed back to its task at once, and the task parks the new way if nobody has answered yet."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from airflow.sdk.exceptions import TaskAwaitingInput

from bapas_sop import humantask
from bapas_sop.airflow.sensors import FormResponseSensor
from bapas_sop.airflow.triggers import FormResponseTrigger
from bapas_sop.policy import StepPolicy

RINA = "198607212010122003"
RUN = "manual__2026-11-30T01:00:00+00:00"
KEY = f"uji/{RUN}/foto"


class _TaskInstance:
    dag_id, run_id, task_id, map_index = "uji", RUN, "foto.tunggu_jawaban", -1


def _first_event(trigger: FormResponseTrigger) -> dict:
    async def first() -> dict:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("no event")

    return asyncio.run(first())


def test_a_row_written_by_an_earlier_version_is_rebuilt_from_its_classpath_and_kwargs() -> None:
    # What the triggerer finds in Airflow's trigger table after the upgrade.
    kwargs = {"request_key": KEY, "poll_interval": 0.5}
    trigger = FormResponseTrigger(**kwargs)

    assert trigger.serialize() == ("bapas_sop.airflow.triggers.FormResponseTrigger", kwargs)
    assert _first_event(trigger) == {"key": KEY}


def test_the_handed_back_task_parks_when_the_step_is_still_open_and_finishes_when_answered(project, smtp_server) -> None:
    opened = humantask.open_request(key=KEY, step="foto", form_name="peterpan_foto", title="Foto",
                                    assignee=f"nip:{RINA}", policy=StepPolicy.from_config(), dag_id="uji", run_id=RUN)
    sensor = FormResponseSensor(task_id="tunggu_jawaban", request_key=KEY)
    event = _first_event(FormResponseTrigger(request_key=KEY))

    with pytest.raises(TaskAwaitingInput):
        sensor.execute_complete({"ti": _TaskInstance()}, event)

    humantask.record_answer(KEY, {"tautan_foto": "https://drive.example/f.jpg"},
                            answered_at=datetime.now(timezone.utc), link_id="t", channel="test")
    outcome = sensor.execute_complete({"ti": _TaskInstance()}, event)
    assert outcome["status"] == "answered" and outcome["request_id"] == opened.request_id
