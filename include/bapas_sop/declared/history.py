"""A declared SOP's section of the history page (``/admin/riwayat``): its latest closed requests
by number, with how they ended and which steps they went through. Numbers and choice labels only,
like every page behind an Airflow login: no requester, no request text.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select

from bapas_sop.declared import get_declared
from bapas_sop.declared.models import DeclaredRequest
from bapas_sop.declared.spec import EXTENDED_SUFFIX
from bapas_sop.forms.registry import get_form
from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_datetime_id

#: Of the section's context: the shared template (templates/pages/declared_history.html).
TEMPLATE = "declared_history.html"


def rows(sop_id: str, limit: int = 12) -> dict[str, Any]:
    sop = get_declared(sop_id)
    labels: dict[str, str] = {}
    if sop.outcome is not None:
        field = get_form(sop.step(sop.outcome.step).form).field(sop.outcome.field)
        labels = {c.value: c.label for c in field.choices}
    with session_scope() as session:
        closed = list(session.scalars(
            select(DeclaredRequest).where(DeclaredRequest.sop_id == sop_id, DeclaredRequest.status == "selesai")
            .order_by(DeclaredRequest.closed_at.desc()).limit(limit)
        ))
        shown = [{
            "number": r.number,
            "received": format_datetime_id(r.received_at),
            "closed": format_datetime_id(r.closed_at) if r.closed_at else "-",
            "outcome": labels.get(r.outcome or "", (r.outcome or "-").replace("_", " ")),
            "extended": any(step.endswith(EXTENDED_SUFFIX) for step in (r.answers or {})),
            "steps": [sop.step(step).title.split("{")[0].strip() for step in (r.answers or {})
                      if not step.endswith(EXTENDED_SUFFIX)],
        } for r in closed]
    return {"id": sop_id, "title": sop.title, "rows": shown}


class _Rows:
    """``rows_of.<sop_id>``: the rows function of one declared SOP (what its descriptor names)."""

    def __getattr__(self, sop_id: str) -> Any:
        if sop_id.startswith("_"):
            raise AttributeError(sop_id)
        return partial(rows, sop_id)


rows_of = _Rows()

__all__ = ["TEMPLATE", "rows", "rows_of"]
