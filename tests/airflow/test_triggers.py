"""FormResponseTrigger: what the triggerer stores and rebuilds, and the one event it yields."""

from __future__ import annotations

import asyncio
import inspect

from bapas_sop import humantask
from bapas_sop.airflow.triggers import FormResponseTrigger
from bapas_sop.policy import StepPolicy

RINA = "198607212010122003"


def test_serialization() -> None:
    """The classpath and exactly the constructor's arguments; the rebuilt trigger is equal."""
    trigger = FormResponseTrigger(request_key="sp2lo/manual__1/kabapas_disposisi", poll_interval=1.5)

    classpath, kwargs = trigger.serialize()

    assert classpath == "bapas_sop.airflow.triggers.FormResponseTrigger"
    constructor = set(inspect.signature(FormResponseTrigger.__init__).parameters) - {"self", "kwargs"}
    assert set(kwargs) == constructor
    assert kwargs == {"request_key": "sp2lo/manual__1/kabapas_disposisi", "poll_interval": 1.5}
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(__import__(module, fromlist=[name]), name)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


def test_a_missing_request_fires_once_with_its_key(project) -> None:
    async def first_events() -> list:
        return [event async for event in FormResponseTrigger(request_key="uji/run-1/hilang", poll_interval=0.5).run()]

    [event] = asyncio.run(asyncio.wait_for(first_events(), timeout=10))

    assert event.payload == {"status": "missing", "key": "uji/run-1/hilang"}


def test_an_answered_request_fires_with_the_answer(project, smtp_server) -> None:
    opened = humantask.open_request(
        key="uji/run-1/foto", step="foto", form_name="peterpan_foto", title="Foto", assignee=f"nip:{RINA}",
        policy=StepPolicy.from_config(), dag_id="uji", run_id="run-1",
    )
    assert humantask.submit(opened.url.rsplit("/", 1)[-1], {"tautan_foto": "https://drive.example/f.jpg"}).status == "saved"

    async def first_events() -> list:
        return [event async for event in FormResponseTrigger(request_key=opened.key, poll_interval=0.5).run()]

    [event] = asyncio.run(asyncio.wait_for(first_events(), timeout=10))

    assert event.payload["status"] == "answered"
    assert event.payload["answer"]["tautan_foto"] == "https://drive.example/f.jpg"
    assert event.payload["answered_by"] == RINA
