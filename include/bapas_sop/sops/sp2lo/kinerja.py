"""SP2LO's outcome figures for the SOP performance view: Litmas on time, per section and per PK."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import func, select

from bapas_sop.descriptor import Figure
from bapas_sop.directory import get_directory
from bapas_sop.documents import percent_id
from bapas_sop.sops.sp2lo import rules as sp2lo
from bapas_sop.sops.sp2lo.models import LitmasCase
from bapas_sop.store.db import session_scope


def figures(start: datetime, end: datetime) -> list[Figure]:
    """Requests received and Litmas approved in ``[start, end)``, and how many met their deadline."""
    with session_scope() as session:
        received = session.scalar(
            select(func.count()).select_from(LitmasCase).where(LitmasCase.received_at >= start, LitmasCase.received_at < end)
        ) or 0
        rows = session.execute(
            select(LitmasCase.section, LitmasCase.pk_nip, LitmasCase.deadline_at, LitmasCase.approved_at)
            .where(LitmasCase.approved_at >= start, LitmasCase.approved_at < end)
        ).all()
    frame = pd.DataFrame(rows, columns=["section", "pk_nip", "deadline_at", "approved_at"])
    names = {p.nip: p.name for p in get_directory().people}
    frame["pk_name"] = frame["pk_nip"].map(names)
    report = sp2lo.on_time_report(frame)
    total = report["total"]
    judged = total["on_time"] + total["late"]
    by_section = tuple(
        (row.get("label") or code, f"{row['on_time']} dari {row['on_time'] + row['late']}", percent_id(row["on_time_rate"]))
        for code, row in report["by_section"].items()
    )
    by_pk = tuple(
        (row.get("pk_name") or nip, f"{row['on_time']} dari {row['on_time'] + row['late']}", percent_id(row["on_time_rate"]))
        for nip, row in report["by_pk"].items()
    )
    return [
        Figure.count("Permintaan Litmas diterima", int(received)),
        Figure.share("Litmas selesai tepat waktu (per seksi)", total["on_time"], judged, by_section),
        Figure.share("Litmas selesai tepat waktu (per PK)", total["on_time"], judged, by_pk),
    ]
