"""The forms of Bus Mini, the weekly video news of the office on YouTube."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register_declared


@named_check("bus_mini_second_activity")
def _second_activity(values: Mapping[str, Any]) -> dict[str, str]:
    """A second activity, once started, needs its date and description too."""
    if not values.get("judul_2"):
        return {}
    errors = {}
    if not values.get("tanggal_2"):
        errors["tanggal_2"] = "Tanggal kegiatan kedua wajib diisi bila judulnya diisi."
    if not values.get("uraian_2"):
        errors["uraian_2"] = "Uraian kegiatan kedua wajib diisi bila judulnya diisi."
    return errors


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
KEGIATAN = FORMS["bus_mini_kegiatan"]
PENGAMBILAN_GAMBAR = FORMS["bus_mini_pengambilan_gambar"]
PEREKAMAN_SUARA = FORMS["bus_mini_perekaman_suara"]
PERSETUJUAN_DRAF = FORMS["bus_mini_persetujuan_draf"]
KONFIRMASI_UNGGAHAN = FORMS["bus_mini_konfirmasi_unggahan"]
