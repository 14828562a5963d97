"""The forms of Piket Hari Libur (Bu Tejo): review, approval, substitution, and the duty page's log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register_declared

#: Staf TU may change this many places of the draft in one review.
MAX_SWAPS = 4

#: The officer's answer to their duty dates (the value is what the flow reads).
AVAILABLE, UNAVAILABLE = "bersedia", "berhalangan"
#: The substitute's answer.
ACCEPT, DECLINE = "bersedia", "menolak"


@named_check("piket_hari_libur_swaps_complete")
def _swaps_complete(values: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for i in range(1, MAX_SWAPS + 1):
        out, into = values.get(f"keluar_{i}"), values.get(f"masuk_{i}")
        if out and not into:
            errors[f"masuk_{i}"] = f"Penukaran {i}: pilih penggantinya, atau kosongkan petugas yang diganti."
        elif into and not out:
            errors[f"keluar_{i}"] = f"Penukaran {i}: pilih petugas yang diganti, atau kosongkan penggantinya."
        elif out and into and str(out).rsplit("|", 1)[-1] == into:
            errors[f"masuk_{i}"] = f"Penukaran {i}: pengganti tidak boleh petugas yang sama."
    return errors


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
PEMERIKSAAN = FORMS["piket_hari_libur_pemeriksaan"]
PERSETUJUAN = FORMS["piket_hari_libur_persetujuan"]
KESEDIAAN = FORMS["piket_hari_libur_kesediaan"]
KONFIRMASI_PENGGANTI = FORMS["piket_hari_libur_konfirmasi_pengganti"]
PENUNJUKAN_PENGGANTI = FORMS["piket_hari_libur_penunjukan_pengganti"]
WAJIB_LAPOR = FORMS["piket_hari_libur_wajib_lapor"]
PEMBEBASAN = FORMS["piket_hari_libur_pembebasan"]
