"""Bus Mini's section of the history page: each week, uploaded (with its video) or missed,
read from the ``bus_mini_week`` table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.sops.bus_mini.models import latest_weeks
from bapas_sop.sops.bus_mini.rules import UPLOADED, Week
from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_datetime_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT, MONTHS_SHORT, safe_url


def week_label(week_key: str) -> str:
    """``Pekan 48 (23–29 Nov 2026)``; ``Pekan 1 (29 Des 2025 – 4 Jan 2026)`` across a year."""
    try:
        week = Week.parse(week_key)
    except ValueError:
        return week_key
    first, last = week.monday, week.sunday
    if first.month == last.month:
        period = f"{first.day}–{last.day} {MONTHS_SHORT[last.month - 1]} {last.year}"
    elif first.year == last.year:
        period = f"{first.day} {MONTHS_SHORT[first.month - 1]} – {last.day} {MONTHS_SHORT[last.month - 1]} {last.year}"
    else:
        period = (f"{first.day} {MONTHS_SHORT[first.month - 1]} {first.year} – "
                  f"{last.day} {MONTHS_SHORT[last.month - 1]} {last.year}")
    return f"Pekan {week.number} ({period})"


def week_rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per recorded week, newest first: uploaded (with the video) or missed."""
    with session_scope() as session:
        weeks = latest_weeks(session, limit)
    rows = []
    for week in weeks:
        uploaded = week.status == UPLOADED
        rows.append({
            "week": week.week, "label": week_label(week.week), "uploaded": uploaded,
            "title": week.video_title or "", "url": safe_url(week.video_url) if uploaded else None,
            "raw_url": week.video_url if uploaded else None,
            "published": format_datetime_id(week.published_at) if uploaded and week.published_at else None,
            "confirmed": uploaded and week.source == "konfirmasi",
        })
    return rows


def bus_mini_summary(rows: list[Mapping[str, Any]]) -> str | None:
    """``3 dari 4 pekan terakhir terunggah`` (over the weeks shown); None without any week."""
    if not rows:
        return None
    return f"{sum(1 for r in rows if r['uploaded'])} dari {len(rows)} pekan terakhir terunggah"


def rows(limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """The section's context: the weeks shown and their summary."""
    shown = week_rows(limit)
    return {"rows": shown, "summary": bus_mini_summary(shown)}
