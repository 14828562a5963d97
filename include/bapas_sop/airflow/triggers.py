"""FormResponseTrigger: waits in the triggerer, not in a worker, for a person's answer.

Every waiting form step of a triggerer shares **one reader** (:class:`_RequestWatch`): a
single query per interval reads the state of all the steps that process waits for, however
many there are, and wakes the triggers whose step was answered or expired. A trigger of its
own per step, each polling the store every two seconds, made a step resume on average a
second after its answer and cost one query per step and interval; the shared reader can read
every half second for a whole office at the cost of one.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)

#: How often the shared reader reads at most; a step may ask to be read less often.
FASTEST_READ = 0.5


class FormResponseTrigger(BaseTrigger):
    """Fires once the form request ``request_key`` is answered, expires, or cannot be found.

    The database is read in a thread (``asyncio.to_thread``) so that one slow query never
    blocks the triggerer's event loop, which runs every other waiting step too.

    :param request_key: key of the form request (``dag_id/run_id/step[/rN]``); templated when
        the sensor starts from the trigger.
    :param poll_interval: the longest time between two reads of this step (the shared reader
        reads as often as the most impatient step asks, but not more than every 0.5 s).
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
        self.log.info("Waiting for an answer to %s", self.request_key)
        outcome = await _RequestWatch.current().wait(self.request_key, self.poll_interval)
        self.log.info("Request %s is %s", self.request_key, outcome["status"])
        yield TriggerEvent(outcome)


class _RequestWatch:
    """The one reader of an event loop: waiting steps register, one query serves them all.

    One per running event loop (the triggerer has one; ``dag.test()`` starts a loop per
    trigger), kept in a weak map so that a finished loop takes its reader with it.
    """

    _by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _RequestWatch] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self._waiting: dict[str, list[tuple[asyncio.Future[dict[str, Any]], float]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    @classmethod
    def current(cls) -> _RequestWatch:
        loop = asyncio.get_running_loop()
        watch = cls._by_loop.get(loop)
        if watch is None:
            watch = cls._by_loop[loop] = cls()
        return watch

    async def wait(self, key: str, interval: float) -> dict[str, Any]:
        """The outcome of ``key`` once it is no longer open."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        entry = (future, max(interval, FASTEST_READ))
        self._waiting.setdefault(key, []).append(entry)
        self._wake.set()  # read the newcomer now, not at the end of the current pause
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read_until_nobody_waits())
        try:
            return await future
        finally:  # answered, or the trigger was cancelled (task cleared, triggerer stopping)
            entries = self._waiting.get(key, [])
            if entry in entries:
                entries.remove(entry)
            if not entries:
                self._waiting.pop(key, None)

    async def _read_until_nobody_waits(self) -> None:
        from bapas_sop import humantask

        while self._waiting:
            self._wake.clear()
            keys = list(self._waiting)
            try:
                outcomes = await asyncio.to_thread(humantask.poll_many, keys)
            except Exception as exc:  # noqa: BLE001 - a database hiccup: every waiter reads again later
                log.warning("Reading %d waiting form steps failed: %s", len(keys), exc)
                outcomes = {}
            for key, outcome in outcomes.items():
                if outcome["status"] == "open":
                    continue
                for future, _interval in self._waiting.get(key, []):
                    if not future.done():
                        future.set_result(outcome)
            pause = min((i for entries in self._waiting.values() for _f, i in entries), default=FASTEST_READ)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=pause)
            except TimeoutError:
                pass
