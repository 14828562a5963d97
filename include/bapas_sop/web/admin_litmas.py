"""The SP2LO monitoring page for admins: every open Litmas, its stage, PK, deadline, time left.

The route (``/admin/litmas``, behind the admin login) lives in :mod:`bapas_sop.web.admin_pages`;
this module only builds the page, so that it can be rendered and tested without the app.
"""

from __future__ import annotations

from datetime import datetime

from fastapi.responses import HTMLResponse

from bapas_sop.calendar import to_wib
from bapas_sop.sop.sp2lo_monitor import monitor_counts, monitor_rows, reminder_fractions
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id
from bapas_sop.web.render import render_page


def litmas_page(now: datetime | None = None) -> HTMLResponse:
    """Render ``pages/admin_litmas.html`` as of ``now`` (default: the current time), most
    urgent Litmas first, with the counts an admin looks at first: open, overdue, near the end."""
    now = to_wib(now or utcnow())
    rows = monitor_rows(now)
    fractions = reminder_fractions()
    return render_page(
        "admin_litmas.html",
        title="Pemantauan Litmas (SP2LO)",
        rows=rows,
        counts=monitor_counts(rows),
        warn_percent=round((fractions[-1] if fractions else 0.8) * 100),
        generated=format_datetime_id(now),
    )
