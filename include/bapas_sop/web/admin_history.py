"""The SOP history page for admins ("Riwayat SOP"): past periods of every SOP that keeps them.

The route (``/admin/riwayat``, behind the admin login, ``?sop=<sop id>`` for one section) lives
in :mod:`bapas_sop.web.admin_pages`; this module builds the page from the SOPs' descriptors:
each SOP with a :class:`~bapas_sop.descriptor.HistorySection` gives its rows function and its
section template (``templates/<sop>/pages/history.html``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse

from bapas_sop.calendar import to_wib
from bapas_sop.descriptor import HistorySection, discover, load
from bapas_sop.store.models import utcnow
from bapas_sop.textid import MONTHS, format_datetime_id
from bapas_sop.web.render import render_page

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 12

#: ``Jan`` ... ``Des``: the first three letters of the Indonesian month names are their usual short forms.
MONTHS_SHORT = tuple(m[:3] for m in MONTHS)


def history_page(sop: str | None = None, *, now: datetime | None = None, limit: int = DEFAULT_LIMIT) -> HTMLResponse:
    """Render ``pages/admin_history.html``: every section, or only ``sop`` when it names one."""
    now = to_wib(now or utcnow())
    sections = history_sections()
    chosen = sop if sop in sections else None
    shown = [
        {"key": key, "template": section.template, "data": load(section.rows)(limit)}
        for key, section in sections.items() if chosen in (None, key)
    ]
    return render_page(
        "admin_history.html",
        title="Riwayat SOP",
        sections={key: section.title for key, section in sections.items()},
        chosen=chosen,
        generated=format_datetime_id(now),
        shown=shown,
    )


def history_sections() -> dict[str, HistorySection]:
    """The SOPs that keep a history, by id, in the order of their descriptors."""
    return {sop.id: sop.history for sop in discover() if sop.history is not None}


# --------------------------------------------------------------------------- helpers


def safe_url(value: Any) -> str | None:
    """A link an admin may click: only http(s); anything else (``javascript:``...) is not linked."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


__all__ = ["DEFAULT_LIMIT", "MONTHS_SHORT", "history_page", "history_sections", "safe_url"]
