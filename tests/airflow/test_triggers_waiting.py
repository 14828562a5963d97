"""Many steps waiting in one triggerer: one shared reader, each trigger woken by its own answer.

The triggers run as the triggerer runs them (``run()`` in one event loop); the answers are
given the way people give them (``humantask.submit`` with their link's token) from another
thread while the triggers wait.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import event

from bapas_sop import humantask
from bapas_sop.airflow.triggers import FormResponseTrigger
from bapas_sop.forms.links import read_link
from bapas_sop.policy import StepPolicy
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import FormRequest, utcnow

from tests.support import people

STEPS = 40
RINA = people.RINA.nip  # the demo staff (tests/support/people.py)
PHOTO = "https://drive.example/foto/rina.jpg"


def _open(n: int, *, expire_now: bool = False) -> tuple[str, str]:
    """One step for Rina; returns its key and her link's token."""
    key = f"uji/run-1/langkah_{n}"
    opened = humantask.open_request(
        key=key, step=f"langkah_{n}", form_name="peterpan_foto", title=f"Langkah uji {n}", assignee=f"nip:{RINA}",
        policy=StepPolicy.from_config(), dag_id="uji", run_id="run-1",
    )
    if expire_now:
        with session_scope() as session:
            session.query(FormRequest).filter_by(key=key).update({"expires_at": utcnow()})
    return key, opened.url.rsplit("/", 1)[-1]


@pytest.fixture
def form_request_reads(project):
    """How many SELECTs on form_request the store served."""
    with session_scope() as session:
        engine = session.get_bind()
    reads = {"n": 0}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM form_request" in statement:
            reads["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    yield reads
    event.remove(engine, "before_cursor_execute", count)


def test_many_waiting_steps_share_one_reader_and_each_wakes_on_its_own_answer(form_request_reads, smtp_server):
    steps = [_open(n) for n in range(STEPS)]
    expired_key, _ = _open(STEPS, expire_now=True)
    answered = {steps[3][0], steps[17][0], steps[29][0]}
    fired: dict[str, tuple[dict[str, Any], float]] = {}
    started = time.monotonic()

    async def wait_for(trigger: FormResponseTrigger) -> None:
        async for event_ in trigger.run():
            fired[trigger.request_key] = (event_.payload, time.monotonic() - started)

    def people_answer() -> None:
        time.sleep(1.0)
        for key, token in steps:
            if key in answered:
                assert read_link(token).request_id  # a real personal link
                result = humantask.submit(token, {"tautan_foto": PHOTO})
                assert result.status == "saved", result

    async def triggerer() -> None:
        triggers = [FormResponseTrigger(request_key=key, poll_interval=0.5) for key, _ in steps]
        triggers.append(FormResponseTrigger(request_key=expired_key, poll_interval=0.5))
        tasks = [asyncio.create_task(wait_for(t)) for t in triggers]
        answering = threading.Thread(target=people_answer)
        answering.start()
        await asyncio.sleep(3.0)
        answering.join()
        for task in tasks:  # the rest are still waiting: the triggerer stops (or the tasks are cleared)
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    form_request_reads["n"] = 0
    asyncio.run(triggerer())

    assert set(fired) == answered | {expired_key}
    for key in answered:
        payload, at = fired[key]
        assert payload["status"] == "answered" and payload["answer"]["tautan_foto"] == PHOTO
        assert at >= 1.0  # woken by the answer, not before it
    assert fired[expired_key][0]["status"] == "expired"
    # 41 steps waited about 3 s: one reader read them all a few times a second. A trigger of its
    # own per step would have read at least 41 × 6 times at this interval.
    assert form_request_reads["n"] <= 3 * 2 * 3 + 6, form_request_reads["n"]
