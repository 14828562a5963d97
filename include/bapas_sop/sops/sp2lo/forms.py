"""The forms of SP2LO (Sistem Pengawasan Penyelesaian Litmas secara Online)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bapas_sop.forms.checks import named_bound, named_check
from bapas_sop.forms.registry import register_declared
from bapas_sop.settings import get_settings


#: The earliest receipt a letter may be recorded with unless ``[sp2lo] diterima_paling_awal``
#: says otherwise: an older date is a typo (``0001-01-02``) that would stop the monitor.
DEFAULT_RECEIVED_FLOOR = date(2000, 1, 1)


@named_bound("sp2lo_received_floor")
def received_floor() -> date:
    """``[sp2lo] diterima_paling_awal`` (an ISO date) from the office config, read at each check."""
    configured = get_settings().config.get("sp2lo", {}).get("diterima_paling_awal")
    if configured is None:
        return DEFAULT_RECEIVED_FLOOR
    return configured if isinstance(configured, date) else date.fromisoformat(str(configured))


@named_check("sp2lo_trip_dates")
def _trip_dates(values: Mapping[str, Any]) -> dict[str, str]:
    start, end = values.get("tanggal_berangkat"), values.get("tanggal_kembali")
    if start and end and end < start:
        return {"tanggal_kembali": "Tanggal kembali tidak boleh sebelum tanggal berangkat."}
    return {}


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
PERMOHONAN = FORMS["sp2lo_permohonan"]
SURAT_MASUK = FORMS["sp2lo_surat_masuk"]
DISPOSISI = FORMS["sp2lo_disposisi"]
TUNJUK_PK = FORMS["sp2lo_tunjuk_pk"]
LAPORAN_LITMAS = FORMS["sp2lo_laporan_litmas"]
REKOMENDASI = FORMS["sp2lo_rekomendasi"]
PENGAJUAN_SPPD = FORMS["sp2lo_pengajuan_sppd"]
PENCAIRAN_SPPD = FORMS["sp2lo_pencairan_sppd"]
PERTANGGUNGJAWABAN = FORMS["sp2lo_pertanggungjawaban"]
