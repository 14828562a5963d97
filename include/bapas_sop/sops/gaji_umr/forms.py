"""The forms of Gaji UMR (Gerakan Bapas Jambi Untuk Masyarakat), the monthly social activity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register_declared

WIB = ZoneInfo("Asia/Jakarta")
MAX_CLIENTS = 10


@named_check("gaji_umr_not_in_the_past")
def _not_in_the_past(values: Mapping[str, Any]) -> dict[str, str]:
    day = values.get("tanggal")
    if day and date.fromisoformat(day) < datetime.now(WIB).date():
        return {"tanggal": "Tanggal kegiatan tidak boleh sebelum hari ini."}
    return {}


@named_check("gaji_umr_client_count")
def _client_count(values: Mapping[str, Any]) -> dict[str, str]:
    chosen = values.get("klien") or []
    if len(chosen) > MAX_CLIENTS:
        return {"klien": f"Paling banyak {MAX_CLIENTS} klien untuk satu kegiatan; Anda memilih {len(chosen)}."}
    return {}


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
KEGIATAN = FORMS["gaji_umr_kegiatan"]
PERSETUJUAN_KLIEN = FORMS["gaji_umr_persetujuan_klien"]
KONTAK_KLIEN = FORMS["gaji_umr_kontak_klien"]
KEHADIRAN = FORMS["gaji_umr_kehadiran"]
