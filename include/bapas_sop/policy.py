"""StepPolicy: the times of a human step (due, reminder, escalation, expiry).

A light module on purpose: DAG files declare policies at parse time, and must not pull in
pandas or the database layer to do so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bapas_sop.settings import get_settings


@dataclass(frozen=True)
class StepPolicy:
    """The times of a step, relative to when it is opened (or to an absolute ``due_at``).

    ``escalate_to_role`` None means the assignee's supervisor. ``default_answer`` is taken when
    nobody answers before expiry; without one the step fails clearly at expiry.
    """

    due: timedelta
    remind_before: timedelta | None
    escalate_after: timedelta | None
    expire_after: timedelta
    escalate_to_role: str | None = None
    default_answer: Mapping[str, Any] | None = None

    @classmethod
    def from_config(cls, **overrides: Any) -> StepPolicy:
        cfg = get_settings().config["human_steps"]
        base = cls(
            due=timedelta(hours=cfg["due_hours"]),
            remind_before=timedelta(hours=cfg["remind_before_hours"]),
            escalate_after=timedelta(hours=cfg["escalate_after_hours"]),
            expire_after=timedelta(hours=cfg["expire_after_hours"]),
        )
        return replace(base, **overrides)

    def times(self, opened_at: datetime, due_at: datetime | None = None) -> dict[str, datetime | None]:
        due = due_at or opened_at + self.due
        remind = due - self.remind_before if self.remind_before is not None else None
        if remind is not None and remind <= opened_at:
            remind = None  # a reminder before the email itself makes no sense
        escalate = due + self.escalate_after if self.escalate_after is not None else None
        expires = max(due + self.expire_after, escalate or due)
        return {"due_at": due, "remind_at": remind, "escalate_at": escalate, "expires_at": expires}
