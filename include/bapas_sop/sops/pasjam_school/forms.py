"""The forms of Pasjam School (Bapas Jambi Goes To School): observation, pick, the school's
answer, the day, the teachers' feedback, and the students' public quiz."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register_declared

WIB = ZoneInfo("Asia/Jakarta")


@named_check("pasjam_school_dates_not_in_the_past")
def _dates_not_in_the_past(values: Mapping[str, Any]) -> dict[str, str]:
    today = datetime.now(WIB).date()
    return {name: "Tanggal tidak boleh sebelum hari ini." for name in ("tanggal_1", "tanggal_2")
            if values.get(name) and date.fromisoformat(values[name]) < today}


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
OBSERVASI = FORMS["pasjam_school_observasi"]
PENETAPAN = FORMS["pasjam_school_penetapan"]
KOORDINASI = FORMS["pasjam_school_koordinasi"]
PENYULUHAN = FORMS["pasjam_school_penyuluhan"]
UMPAN_BALIK = FORMS["pasjam_school_umpan_balik"]
KUIS = FORMS["pasjam_school_kuis"]
