"""Tamu Ngopi's section of the history page, and the admin page's data: forums and action items."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_date_id, format_datetime_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT

#: Tags of an item's state on the pages.
ITEM_TAGS = {"terlambat": "bad", "terbuka": "warn", "selesai": "good"}


def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per forum, newest first: when, who hosted, the agenda, attendance, action items."""
    from bapas_sop.sops.tamu_ngopi import rules
    from bapas_sop.sops.tamu_ngopi.models import TamuNgopiActionItem, TamuNgopiMeeting, TamuNgopiParticipant

    with session_scope() as session:
        meetings = list(session.scalars(select(TamuNgopiMeeting).order_by(TamuNgopiMeeting.month.desc(),
                                                                          TamuNgopiMeeting.id.desc()).limit(limit)))
        ids = [m.id for m in meetings]
        invited = dict(session.execute(select(TamuNgopiParticipant.meeting_id, func.count(TamuNgopiParticipant.id))
                                       .where(TamuNgopiParticipant.meeting_id.in_(ids))
                                       .group_by(TamuNgopiParticipant.meeting_id)).all())
        items: dict[int, list[Any]] = {}
        for item in session.scalars(select(TamuNgopiActionItem).where(TamuNgopiActionItem.meeting_id.in_(ids))):
            items.setdefault(item.meeting_id, []).append(item)
        result = []
        for m in meetings:
            own = items.get(m.id, [])
            result.append({
                "month": m.month, "label": rules.month_label(m.month),
                "when": format_datetime_id(m.starts_at) if m.starts_at else "-", "place": m.place or "-",
                "host": m.host_name, "agenda": [a.get("title") for a in m.agenda or []],
                "approved": m.approved_at is not None, "invited": invited.get(m.id, 0), "attended": m.attended,
                "items": len(own), "done": sum(1 for i in own if i.status == rules.DONE),
                "reported": m.reported_at is not None,
            })
    return result


def action_items(today: date) -> dict[str, list[dict[str, Any]]]:
    """Every action item across forums, grouped by where it stands on ``today``."""
    from bapas_sop.sops.tamu_ngopi import rules
    from bapas_sop.sops.tamu_ngopi.flow import _item
    from bapas_sop.sops.tamu_ngopi.models import TamuNgopiActionItem

    groups: dict[str, list[dict[str, Any]]] = {rules.OVERDUE: [], rules.OPEN: [], rules.DONE: []}
    with session_scope() as session:
        for row in session.scalars(select(TamuNgopiActionItem).order_by(TamuNgopiActionItem.due_date,
                                                                        TamuNgopiActionItem.id)):
            state = rules.classify(_item(row), today)
            groups[state].append({
                "id": row.id, "title": row.title, "owner": row.owner_name, "month": rules.month_label(row.month),
                "due": format_date_id(row.due_date, with_day=False), "state": state,
                "label": rules.ITEM_LABELS[state], "tag": ITEM_TAGS[state],
                "late_days": rules.days_overdue(_item(row), today), "reports": row.reports,
                "note": row.done_note if row.status == rules.DONE else row.progress_note,
                "done_at": format_date_id(row.done_at, with_day=False) if row.done_at else None,
                "carried_to": [rules.month_label(m) for m in row.carried_to or []],
            })
    groups[rules.DONE].reverse()  # the latest due first among the done ones
    return groups
