"""SP2LO's documented seam for other SOPs: juvenile Litmas cases counted per district.

Pasjam School's risk score weighs the juvenile cases of a school's district. SOP packages do
not import each other; this one module is what SP2LO offers for it (the independence contract
in ``pyproject.toml`` lists the one import, with the reason). It reads ids and counts only: no
name of a child leaves SP2LO.

A Litmas case records the requesting agency (``Polresta Jambi``, ``Polres Muaro Jambi``), not
a district: the caller says which district an agency belongs to (Pasjam School keeps that
mapping in its configuration, ``[pasjam_school.instansi_kabupaten]``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from bapas_sop.sops.sp2lo.models import LitmasCase
from bapas_sop.store.db import session_scope

#: ``client_category`` of a juvenile case (``anak``; adults are ``dewasa``).
JUVENILE = "anak"


def juvenile_cases_by_district(since: datetime, district_of: Callable[[str], str | None]) -> dict[str, int]:
    """Juvenile (anak) cases received since ``since``, per district of their requesting agency.

    ``district_of`` maps an agency's name to its district, or None when unknown: those cases
    are not counted (the caller's mapping decides what it knows).
    """
    with session_scope() as session:
        per_agency = session.execute(
            select(LitmasCase.requester_agency, func.count(LitmasCase.id))
            .where(LitmasCase.client_category == JUVENILE, LitmasCase.received_at >= since)
            .group_by(LitmasCase.requester_agency)
        ).all()
    counts: Counter[str] = Counter()
    for agency, count in per_agency:
        district = district_of(str(agency or ""))
        if district:
            counts[district] += int(count)
    return dict(counts)


__all__ = ["JUVENILE", "juvenile_cases_by_district"]
