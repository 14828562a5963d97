"""Pasjam School on the history page (each period's visit) and its admin page (latest ranking, visits)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_date_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT

log = logging.getLogger(__name__)


def _school_names() -> dict[str, str]:
    """NPSN -> name from the register; nothing when it cannot be read (the page shows NPSNs)."""
    from bapas_sop.sops.pasjam_school.flow import load_register

    try:
        register = load_register()
    except Exception:  # noqa: BLE001 - the page still shows the NPSNs
        log.warning("Daftar sekolah tidak dapat dibaca untuk halaman Pasjam School", exc_info=True)
        return {}
    return {str(n): str(name) for n, name in register["nama"].items()}


def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per run, newest first: the period, the school, the day, students and the quiz."""
    from bapas_sop.sops.pasjam_school import rules
    from bapas_sop.sops.pasjam_school.flow import STATUS_LABELS
    from bapas_sop.sops.pasjam_school.models import PasjamSchoolCoordination, PasjamSchoolVisit

    with session_scope() as session:
        visits = list(session.scalars(select(PasjamSchoolVisit).order_by(PasjamSchoolVisit.id.desc()).limit(limit)))
        asked: dict[str, list[tuple[str, str]]] = {}
        for c in session.scalars(select(PasjamSchoolCoordination).order_by(PasjamSchoolCoordination.attempt)):
            asked.setdefault(c.run_id, []).append((c.npsn, c.status))
        session.expunge_all()
    names = _school_names()
    result = []
    for v in visits:
        evaluation = v.evaluation or {}
        try:
            label = rules.term_label(v.term)
        except ValueError:
            label = v.term
        result.append({
            "term": label, "run_id": v.run_id,
            "school": names.get(v.npsn or "", v.npsn) if v.npsn else None,
            "day": format_date_id(v.tanggal) if v.tanggal else None, "jam": v.jam,
            "students": v.students_present, "held": v.held_at is not None, "reported": v.reported_at is not None,
            "before": rules.number_id(evaluation.get("before_mean")) if evaluation else None,
            "after": rules.number_id(evaluation.get("after_mean")) if evaluation else None,
            "asked": [{"name": names.get(n, n), "status": STATUS_LABELS.get(s, s), "tag": "good" if s == "bersedia" else "bad"}
                      for n, s in asked.get(v.run_id, [])],
        })
    return result


def admin_context() -> dict[str, Any]:
    """The latest ranked run's schools with each factor's contribution, and the visits."""
    from bapas_sop.sops.pasjam_school import rules
    from bapas_sop.sops.pasjam_school.models import PasjamSchoolRanking, PasjamSchoolVisit

    with session_scope() as session:
        latest = session.scalars(select(PasjamSchoolVisit).where(PasjamSchoolVisit.ranked_at.is_not(None))
                                 .order_by(PasjamSchoolVisit.ranked_at.desc())).first()
        ranking = list(session.scalars(select(PasjamSchoolRanking).where(PasjamSchoolRanking.run_id == latest.run_id)
                                       .order_by(PasjamSchoolRanking.rank))) if latest else []
        term = latest.term if latest else None
        picked = latest.picked_npsn if latest else None
        session.expunge_all()
    names = _school_names()
    try:
        term_label = rules.term_label(term) if term else None
    except ValueError:
        term_label = term
    return {
        "term_label": term_label, "factors": rules.FACTORS, "factor_labels": rules.FACTOR_LABELS,
        "ranking": [{"rank": r.rank, "npsn": r.npsn, "name": names.get(r.npsn, r.npsn), "score": rules.number_id(r.score),
                     "picked": r.npsn == picked, "factors": r.factors,
                     "contributions": {f: rules.number_id(r.contributions.get(f)) for f in rules.FACTORS}}
                    for r in ranking],
        "visits": rows(),
    }
