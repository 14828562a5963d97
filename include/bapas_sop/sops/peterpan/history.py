"""Peterpan's section of the history page: each quarter's winner, votes, participation,
certificate, photo and gift, read from the quarter's :class:`PeterpanSurvey` row."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from bapas_sop.documents import percent_id
from bapas_sop.sops.peterpan.models import PeterpanSurvey
from bapas_sop.sops.peterpan.rules import Quarter
from bapas_sop.store.db import session_scope
from bapas_sop.textid import format_date_id, format_datetime_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT, safe_url

log = logging.getLogger(__name__)


def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per quarter with a winner, newest quarter first.

    A repeated survey (``ulangi``) is a second run of the same quarter: the run whose winner
    was decided last stands, with its own tally, certificate and rewards.
    """
    with session_scope() as session:
        decided = session.scalars(
            select(PeterpanSurvey).where(PeterpanSurvey.winner_nip.is_not(None))
            .order_by(PeterpanSurvey.winner_decided_at.desc(), PeterpanSurvey.id.desc())
        ).all()
    standing: dict[str, PeterpanSurvey] = {}
    for survey in decided:  # latest decision first: it stands for its quarter
        standing.setdefault(survey.quarter, survey)
    return [_row(standing[q]) for q in sorted(standing, reverse=True)[:limit]]


def _row(survey: PeterpanSurvey) -> dict[str, Any]:
    try:
        parsed = Quarter.parse(survey.quarter)
        label, months = parsed.label, parsed.months_label
    except ValueError:
        label, months = survey.quarter, ""
    by_kabapas = survey.winner_decided_by == "kabapas"
    row: dict[str, Any] = {
        "quarter": survey.quarter, "label": label, "months": months,
        "name": survey.winner_name or survey.winner_nip or "-", "nip": survey.winner_nip,
        "votes": survey.winner_votes,
        "decided_by": "Kepala Bapas (perolehan suara sama)" if by_kabapas else "Perolehan suara terbanyak",
        "by_kabapas": by_kabapas, "decision_note": survey.winner_note,
        "decided_at": format_datetime_id(survey.winner_decided_at),
        "participation": None,
        "certificate": "pending", "certificate_note": None,
        "photo_url": safe_url(survey.photo_url),
        "gift": survey.gift,
        "handed_over_on": format_date_id(survey.handed_over_on, with_day=False) if survey.handed_over_on else None,
    }
    if survey.voter_count:
        row["participation"] = (
            f"{survey.voted or 0} dari {survey.voter_count} pegawai ({percent_id(survey.participation)})"
        )
    if survey.certificate_status == "issued":
        row["certificate"], row["certificate_note"] = "issued", survey.certificate_number
    elif survey.certificate_status == "refused":
        row["certificate"], row["certificate_note"] = "refused", survey.certificate_note
    return row
