"""Peterpan's section of the history page: each quarter's winner, votes, participation,
certificate, photo and gift."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select

from bapas_sop.documents import percent_id
from bapas_sop.store.db import session_scope
from bapas_sop.store.models import AuditEvent, FormRequest
from bapas_sop.textid import format_date_id, format_datetime_id
from bapas_sop.web.admin_history import DEFAULT_LIMIT, MONTHS_SHORT, audit_events as _events, pick_event as _pick, safe_url

log = logging.getLogger(__name__)

def rows(limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """One row per quarter with a winner, newest quarter first."""
    from bapas_sop.sops.peterpan.flow import subject, winners_history

    winners: dict[str, dict[str, Any]] = {}
    for winner in winners_history(limit * 4):  # newest first: a repeated survey's winner stands
        winners.setdefault(winner["quarter"], winner)
    quarters = sorted(winners, reverse=True)[:limit]
    if not quarters:
        return []
    with session_scope() as session:
        events = _events(
            session,
            ("peterpan_winner", "peterpan_tally", "peterpan_certificate_issued", "peterpan_certificate_refused",
             "peterpan_closed"),
            [subject(q) for q in quarters],
        )
        by_quarter: dict[tuple[str, str], list[AuditEvent]] = {}
        for e in events:
            by_quarter.setdefault((e.subject.split("/", 1)[1], e.action), []).append(e)
        rows = []
        for quarter in quarters:
            # The other events of the winner's run (a repeated survey has two runs in one quarter).
            won_events = by_quarter.get((quarter, "peterpan_winner"), [])
            run_id = won_events[-1].run_id if won_events else None
            found = {action: _pick(by_quarter.get((quarter, action), []), run_id) for action in
                     ("peterpan_tally", "peterpan_certificate_issued", "peterpan_certificate_refused", "peterpan_closed")}
            rows.append(_peterpan_row(quarter, winners[quarter], found))
    return rows


def _peterpan_row(quarter: str, won: Mapping[str, Any], found: Mapping[str, AuditEvent | None]) -> dict[str, Any]:
    from bapas_sop.sops.peterpan.rules import Quarter

    try:
        parsed = Quarter.parse(quarter)
        label, months = parsed.label, parsed.months_label
    except ValueError:
        label, months = quarter, ""
    by_kabapas = won.get("decided_by") == "kabapas"
    row: dict[str, Any] = {
        "quarter": quarter, "label": label, "months": months,
        "name": won.get("name") or won.get("nip") or "-", "nip": won.get("nip"),
        "votes": won.get("votes"),
        "decided_by": "Kepala Bapas (perolehan suara sama)" if by_kabapas else "Perolehan suara terbanyak",
        "by_kabapas": by_kabapas, "decision_note": won.get("note"),
        "decided_at": format_datetime_id(won.get("at")),
        "participation": None,
        "certificate": "pending", "certificate_note": None,
        "photo_url": None, "gift": None, "handed_over_on": None,
    }
    tally, closed = found.get("peterpan_tally"), found.get("peterpan_closed")
    issued, refused = found.get("peterpan_certificate_issued"), found.get("peterpan_certificate_refused")
    if tally is not None and tally.detail.get("voters"):
        d = tally.detail
        row["participation"] = f"{d.get('voted', 0)} dari {d['voters']} pegawai ({percent_id(d.get('participation'))})"
    # Issued and refused are exclusive within a run; should both be recorded (runs repeated), the later stands.
    if issued is not None and (refused is None or issued.id > refused.id):
        row["certificate"] = "issued"
        row["certificate_note"] = issued.detail.get("number")
    elif refused is not None:
        row["certificate"] = "refused"
        row["certificate_note"] = refused.detail.get("note")
    if closed is not None:
        d = closed.detail
        row["photo_url"] = safe_url(d.get("photo_url"))
        row["gift"] = d.get("gift")
        row["handed_over_on"] = format_date_id(d.get("handed_over_on"), with_day=False) if d.get("handed_over_on") else None
    return row
