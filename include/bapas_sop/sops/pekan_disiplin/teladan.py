"""The most disciplined employees of a quarter: Pekan Disiplin's seam for other SOPs.

Peterpan (the quarterly best-employee vote) may show it where its voters see the candidates.
This module is the one part of Pekan Disiplin another SOP may import (an ``ignore_imports``
line of the independence contract in ``pyproject.toml``, with the reason beside it); it
returns NIPs and figures, the caller adds names from the directory.

Ranking (:func:`bapas_sop.sops.pekan_disiplin.rules.most_disciplined`): fewest incidents not
excused by the supervisor (absence, lateness, early leave, a missing scan, no apel, no
uniform), then fewest minutes late or early, then most days present; only employees with at
least one recorded working day in the quarter. An empty list when nothing was recorded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select

from bapas_sop.store.db import session_scope


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """``"2026-Q4"`` → (1 October 2026, 31 December 2026)."""
    year, number = int(quarter[:4]), int(quarter[-1])
    if quarter[4:6].upper() != "-Q" or not 1 <= number <= 4:
        raise ValueError(f"Triwulan '{quarter}' tidak dikenali; tulis seperti 2026-Q4.")
    first = date(year, 3 * number - 2, 1)
    last = date(year + (number == 4), (3 * number) % 12 + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def most_disciplined(quarter: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """``[{"nip", "insiden", "menit", "hari_hadir"}]``, most disciplined first."""
    from bapas_sop.settings import get_settings
    from bapas_sop.sops.pekan_disiplin.models import AttendanceDay
    from bapas_sop.sops.pekan_disiplin.rules import EXCUSES
    from bapas_sop.sops.pekan_disiplin.rules import most_disciplined as rank

    first, last = quarter_bounds(quarter)
    limit = limit or int(get_settings().config["pekan_disiplin"].get("jumlah_teladan", 5))
    with session_scope() as session:
        days = session.scalars(select(AttendanceDay).where(AttendanceDay.day >= first, AttendanceDay.day <= last)).all()
        frame = pd.DataFrame([{
            "nip": d.nip, "tidak_masuk": d.tidak_masuk, "terlambat_menit": d.terlambat_menit,
            "pulang_cepat_menit": d.pulang_cepat_menit, "insiden": d.insiden or d.tidak_apel or d.tidak_berseragam,
            "dimaafkan": d.keputusan in EXCUSES, "hadir": d.masuk is not None or d.pulang is not None,
        } for d in days])
    if frame.empty:
        return []
    table = rank(frame, limit=limit)
    return [{"nip": str(nip), **{k: int(v) for k, v in row.items()}} for nip, row in table.iterrows()]


__all__ = ["most_disciplined", "quarter_bounds"]
