"""SP2LO's intake for another SOP: a Litmas request received elsewhere becomes a case at once.

The one module another SOP may import from SP2LO (listed under ``ignore_imports`` of the
independence contract in ``pyproject.toml``). The holiday duty officer (Piket Hari Libur) logs
a Litmas request that arrived on a Saturday: its statutory clock (3x24 jam for a child) starts
at the receipt time as logged, not on the next working day.

1. :func:`register_received` records the case with that receipt time (the same checks and
   deadline rules as SP2LO's own letter form); a repeated post of the same entry returns its case;
2. the caller starts the case's run right away with :func:`run_for` (``WebContext.start_run``
   from a page, or a ``TriggerDagRunOperator``); should that fail, ``sp2lo_pemantauan``'s
   ``permintaan_belum_diproses`` starts it within the hour (the case has no run yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bapas_sop.calendar import to_wib

#: The form whose fields a Litmas request is logged with (SP2LO's letter form: same checks).
FORM = "sp2lo_surat_masuk"
DAG_ID = "sp2lo"


def register_received(
    values: Mapping[str, Any], *, received_at: datetime, entry_key: str, channel: str, actor: str,
) -> tuple[str, bool]:
    """Register a request received at ``received_at`` (aware); ``(case number, created now)``.

    ``values`` are the typed fields of :data:`FORM`; ``entry_key`` names this one entry (unique
    across SOPs, e.g. ``piket/<key>``) so that a double post never makes two clocks.
    """
    from bapas_sop.sops.sp2lo import service

    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    typed = {**values, "diterima_pada": to_wib(received_at).replace(tzinfo=None).isoformat(timespec="minutes")}
    case, created = service.register_submission(typed, submission_key=entry_key, channel=channel, actor=actor)
    return case.case_number, created


def run_for(case_number: str) -> tuple[str, str, dict[str, Any]]:
    """``(dag_id, run_id, conf)`` of the case's SP2LO run (its run id names the case: a repeat is refused)."""
    return DAG_ID, f"litmas__{case_number}", {"case_number": case_number}


__all__ = ["DAG_ID", "FORM", "register_received", "run_for"]
