"""Pekan Disiplin's admin page, ``/admin/pekan-disiplin`` (behind the admin login): the week's
incidents with the supervisors' decisions, and the year to date per person against PP 94/2021.

:func:`router` is what the SOP's descriptor names; the web app mounts it at its root.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from bapas_sop.descriptor import WebContext
from bapas_sop.web.render import render_page

_WEEK = re.compile(r"\d{4}-W\d{2}")


def admin_page(week: str | None = None) -> HTMLResponse:
    from bapas_sop.sops.pekan_disiplin.flow import admin_context

    chosen = week if week and _WEEK.fullmatch(week) else None
    return render_page("pekan_disiplin/admin.html", title="Pekan Disiplin", **admin_context(chosen))


def router(web: WebContext) -> APIRouter:
    routes = APIRouter()

    @routes.get("/admin/pekan-disiplin", response_class=HTMLResponse, dependencies=[Depends(web.admin)])
    def pekan_disiplin(pekan: str | None = None) -> Response:
        return admin_page(pekan[:10] if pekan else None)

    return routes


__all__: list[Any] = ["admin_page", "router"]
