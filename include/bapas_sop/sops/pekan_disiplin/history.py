"""Pekan Disiplin's section of the history page: each week's counts (no names: the page lists
weeks; the people are on the admin page ``/admin/pekan-disiplin``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_date_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT


def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per week (its latest run), newest week first."""
    from bapas_sop.sops.pekan_disiplin.flow import week_label
    from bapas_sop.sops.pekan_disiplin.models import DisciplineWeek

    with session_scope() as session:
        runs = session.scalars(select(DisciplineWeek).where(DisciplineWeek.loaded_at.is_not(None))
                               .order_by(DisciplineWeek.id)).all()
        latest = {run.week: run for run in runs}
        return [{
            "week": week, "label": week_label(week), "incidents": run.incidents or 0, "bad_rows": run.bad_rows or 0,
            "employees": run.employees or 0, "forms": run.forms_sent or 0, "crossings": run.crossings or 0,
            "recap": format_date_id(run.recap_sent_at, with_day=False) if run.recap_sent_at else None,
        } for week, run in sorted(latest.items(), reverse=True)[:limit]]
