"""Pasjam School's outcome figures for the SOP performance view: visits held, students reached,
and what the quiz showed before and after the talk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bapas_sop.descriptor import Figure
from bapas_sop.documents import number_id
from bapas_sop.sops.pasjam_school.models import PasjamSchoolVisit
from bapas_sop.store.db import session_scope


def figures(start: datetime, end: datetime) -> list[Figure]:
    with session_scope() as session:
        visits = session.execute(
            select(PasjamSchoolVisit.term, PasjamSchoolVisit.npsn, PasjamSchoolVisit.students_present,
                   PasjamSchoolVisit.evaluation)
            .where(PasjamSchoolVisit.held_at >= start, PasjamSchoolVisit.held_at < end)
            .order_by(PasjamSchoolVisit.held_at)
        ).all()
    students = sum(v.students_present or 0 for v in visits)
    improvements = [(v.evaluation or {}).get("improvement") for v in visits]
    measured = [i for i in improvements if i is not None]
    detail = tuple(
        (f"{v.term} NPSN {v.npsn or '-'}", f"{v.students_present or 0} siswa",
         f"kenaikan nilai {number_id(i)}" if i is not None else "tanpa kuis")
        for v, i in zip(visits, improvements, strict=True)
    )
    return [
        Figure.count("Kunjungan sekolah terlaksana", len(visits), detail),
        Figure.count("Siswa yang mengikuti penyuluhan", students),
        Figure("Rata-rata kenaikan nilai kuis (sesudah − sebelum)",
               number_id(round(sum(measured) / len(measured), 1)) if measured else "-"),
    ]
