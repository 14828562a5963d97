"""Tamu Ngopi's admin page: action items across forums (overdue, open, done) and the forums held.

:func:`router` is what the SOP's descriptor names; :func:`admin_page` builds the page alone, so
that it can be rendered and tested without the app.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from bapas_sop.calendar import to_wib
from bapas_sop.descriptor import WebContext
from bapas_sop.store.models import utcnow
from bapas_sop.textid import format_datetime_id
from bapas_sop.web.render import render_page

PATH = "/admin/tamu-ngopi"


def admin_page(now: datetime | None = None) -> HTMLResponse:
    """Render ``tamu_ngopi/admin.html`` as of ``now`` (default: the current time)."""
    from bapas_sop.sops.tamu_ngopi import history

    now = to_wib(now or utcnow())
    groups = history.action_items(now.date())
    return render_page("tamu_ngopi/admin.html", title="Tamu Ngopi", groups=groups,
                       counts={state: len(items) for state, items in groups.items()},
                       meetings=history.rows(), generated=format_datetime_id(now))


def router(web: WebContext) -> APIRouter:
    routes = APIRouter()

    @routes.get(PATH, response_class=HTMLResponse, dependencies=[Depends(web.admin)])
    def tamu_ngopi() -> Response:
        return admin_page()

    return routes


__all__ = ["admin_page", "router"]
