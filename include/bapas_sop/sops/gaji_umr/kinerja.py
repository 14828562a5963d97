"""Gaji UMR's outcome figures for the SOP performance view: clients who took part."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bapas_sop.descriptor import Figure
from bapas_sop.sops.gaji_umr.models import GajiUmrMonth
from bapas_sop.store.db import session_scope


def figures(start: datetime, end: datetime) -> list[Figure]:
    """Activities reported in ``[start, end)``: clients who attended out of those invited."""
    with session_scope() as session:
        months = session.execute(
            select(GajiUmrMonth.month, GajiUmrMonth.section, GajiUmrMonth.attended, GajiUmrMonth.invited)
            .where(GajiUmrMonth.reported_at >= start, GajiUmrMonth.reported_at < end)
            .order_by(GajiUmrMonth.month, GajiUmrMonth.section)
        ).all()
    attended = sum(m.attended or 0 for m in months)
    invited = sum(m.invited or 0 for m in months)
    detail = tuple((f"{m.month} {(m.section or '').upper()}".strip(), f"{m.attended or 0} dari {m.invited or 0}")
                   for m in months)
    return [
        Figure.count("Kegiatan sosial terlaksana", len(months)),
        Figure.share("Klien yang ikut serta", attended, invited, detail),
    ]
