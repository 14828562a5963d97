"""FormResponseTrigger, kept only so that an upgraded install loses no waiting step.

Human steps no longer wait in the triggerer: they park in ``awaiting_input`` and are resumed by
whatever settles them (:mod:`bapas_sop.airflow.resume`). A step that was deferred to this
trigger by an earlier version is still in Airflow's ``trigger`` table when the new version
starts; without this class the triggerer could not import it and the task would fail. Here the
trigger fires at once with the request key, the sensor's ``execute_complete`` reads the step
and, if it is still open, parks the new way. Nothing defers to it any more; it can go once no
install has a step deferred by a version before 2026-12.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


class FormResponseTrigger(BaseTrigger):
    """Fires at once with ``{"key": request_key}``: the waiting task reads the step itself.

    :param request_key: key of the form request the step waited for.
    :param poll_interval: accepted for the rows written by earlier versions; unused.
    """

    def __init__(self, request_key: str, poll_interval: float = 2.0, **kwargs: Any) -> None:
        super().__init__()
        self.request_key = request_key
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"request_key": self.request_key, "poll_interval": self.poll_interval},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        yield TriggerEvent({"key": self.request_key})
