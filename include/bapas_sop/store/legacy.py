"""The shared tables as revision ``0001`` made them, for data migrations.

A migration that moves records (e.g. an SOP's audit rows into the SOP's own tables) must not
use the ORM models: they describe the newest schema and will change again. It reads through
these table descriptions instead, which stay as ``0001`` wrote them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from bapas_sop.store.models import UtcDateTime

#: ``audit_event`` at revision 0001.
audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("at", UtcDateTime(timezone=True)),
    sa.column("actor", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("dag_id", sa.String()),
    sa.column("run_id", sa.String()),
    sa.column("detail", sa.JSON()),
)


def audit_rows(bind: sa.Connection, actions: Iterable[str]) -> list[Any]:
    """Every audit row of these actions as a mapping, oldest first (in the order written)."""
    stmt = sa.select(audit_event).where(audit_event.c.action.in_(list(actions))).order_by(audit_event.c.id)
    return list(bind.execute(stmt).mappings())


__all__ = ["audit_event", "audit_rows"]
