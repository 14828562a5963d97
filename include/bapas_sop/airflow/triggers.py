"""FormResponseTrigger: waits in the triggerer, not in a worker, for a person's answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class FormResponseTrigger(BaseTrigger):
    """Fires once the form request ``request_key`` is answered, expires, or cannot be found.

    The database is read in a thread (``asyncio.to_thread``) so that one slow query never
    blocks the triggerer's event loop, which runs every other waiting step too.

    :param request_key: key of the form request (``dag_id/run_id/step[/rN]``); templated when
        the sensor starts from the trigger.
    :param poll_interval: seconds between two reads of the store.
    """

    def __init__(self, request_key: str, poll_interval: float = 2.0, **kwargs: Any) -> None:
        super().__init__()
        self.request_key = request_key
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "bapas_sop.airflow.triggers.FormResponseTrigger",
            {"request_key": self.request_key, "poll_interval": self.poll_interval},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from bapas_sop import humantask

        self.log.info("Waiting for an answer to %s", self.request_key)
        while True:
            outcome = await asyncio.to_thread(humantask.poll, self.request_key)
            if outcome["status"] != humantask.OPEN:
                self.log.info("Request %s is %s", self.request_key, outcome["status"])
                yield TriggerEvent(outcome)
                return
            await asyncio.sleep(self.poll_interval)
