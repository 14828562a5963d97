"""Outcome figures of a declared SOP for the SOP performance view (``/admin/kinerja``),
computed the same way for every file: requests received, closed, the outcome tally the file's
``outcome`` names, and how many outcome steps were answered by their deadline. Numbers and
choice labels only: no requester, no request text.

The per-step figures (answered on time, late, open) come from the form requests, like every SOP's.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select

from bapas_sop.descriptor import Figure


def figures(sop_id: str, start: datetime, end: datetime) -> list[Figure]:
    from bapas_sop import humantask
    from bapas_sop.declared import get_declared
    from bapas_sop.declared.models import DeclaredRequest
    from bapas_sop.forms.registry import get_form
    from bapas_sop.store.db import session_scope
    from bapas_sop.store.models import FormRequest

    sop = get_declared(sop_id)
    with session_scope() as session:
        rows = session.execute(
            select(DeclaredRequest.run_id, DeclaredRequest.status, DeclaredRequest.outcome)
            .where(DeclaredRequest.sop_id == sop_id, DeclaredRequest.received_at >= start,
                   DeclaredRequest.received_at < end)
        ).all()
        steps: list[Any] = []
        if sop.outcome is not None:
            run_ids = [r.run_id for r in rows if r.run_id]
            steps = session.execute(
                select(FormRequest.run_id, FormRequest.step, FormRequest.status, FormRequest.answered_at, FormRequest.due_at)
                .where(FormRequest.dag_id == sop_id, FormRequest.run_id.in_(run_ids),
                       FormRequest.step.in_([sop.outcome.step, sop.outcome.step + "_diperpanjang"]))
            ).all() if run_ids else []
    result = [
        Figure.count("Permohonan diterima", len(rows)),
        Figure.count("Permohonan selesai", sum(1 for r in rows if r.status == "selesai")),
    ]
    if sop.outcome is not None:
        form = get_form(sop.step(sop.outcome.step).form)
        labels = {c.value: c.label for c in form.field(sop.outcome.field).choices}
        tally = Counter(r.outcome for r in rows if r.outcome)
        result.append(Figure.count(
            f"{form.field(sop.outcome.field).label} ({sop.step(sop.outcome.step).title.split('{')[0].strip()})",
            sum(tally.values()),
            tuple((labels.get(value, value.replace("_", " ")), str(n)) for value, n in tally.most_common()),
        ))
        # Per request, its last round of the outcome step (the extended one when there was one).
        last: dict[str, Any] = {}
        for s in sorted(steps, key=lambda s: len(s.step)):
            last[s.run_id] = s
        answered = [s for s in last.values() if s.status == humantask.ANSWERED]
        on_time = sum(1 for s in answered if s.answered_at <= s.due_at)
        result.append(Figure.share("Dijawab dalam batas waktu", on_time, len(answered)))
    return result


class _Figures:
    """``figures_of.<sop_id>``: the figures function of one declared SOP (what its descriptor names)."""

    def __getattr__(self, sop_id: str) -> Any:
        if sop_id.startswith("_"):
            raise AttributeError(sop_id)
        return partial(figures, sop_id)


figures_of = _Figures()

__all__ = ["figures", "figures_of"]
