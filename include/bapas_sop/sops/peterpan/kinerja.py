"""Peterpan's outcome figures for the SOP performance view: participation and winners decided."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bapas_sop.descriptor import Figure
from bapas_sop.documents import percent_id
from bapas_sop.sops.peterpan.models import PeterpanSurvey
from bapas_sop.store.db import session_scope


def figures(start: datetime, end: datetime) -> list[Figure]:
    """Surveys tallied in ``[start, end)``: employees who voted out of those asked, per quarter."""
    with session_scope() as session:
        surveys = session.scalars(
            select(PeterpanSurvey).where(PeterpanSurvey.tallied_at >= start, PeterpanSurvey.tallied_at < end)
            .order_by(PeterpanSurvey.quarter)
        ).all()
        rows = [(s.quarter, s.voted or 0, s.voter_count or 0, s.winner_name is not None) for s in surveys]
    voted = sum(r[1] for r in rows)
    asked = sum(r[2] for r in rows)
    detail = tuple((quarter, f"{v} dari {n}", percent_id(v / n if n else None)) for quarter, v, n, _ in rows)
    return [
        Figure.share("Partisipasi survei pegawai terbaik", voted, asked, detail),
        Figure.share("Survei dengan pemenang ditetapkan", sum(1 for r in rows if r[3]), len(rows)),
    ]
