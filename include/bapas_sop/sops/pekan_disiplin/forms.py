"""The forms of Pekan Disiplin: the supervisor's decisions on the week's incidents, and the
apel/uniform checklist of the officer on duty.

Both list people from the request's context (``choices_from``), built by the flow from the
project's tables when the request is opened: the lists never pass through Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register_declared

#: The excuse fields of the supervisor's form, in order, with their evidence-link fields.
EXCUSE_FIELDS: dict[str, str] = {"sakit": "Sakit", "izin": "Izin", "cuti": "Cuti", "dinas": "Tugas kedinasan"}
APEL_DAYS: tuple[str, ...] = ("senin", "selasa", "rabu", "kamis", "jumat")


@named_check("pekan_disiplin_one_reason_each")
def _one_reason_each(values: Mapping[str, Any]) -> dict[str, str]:
    """An incident is excused for one reason; a reason with incidents has its evidence link."""
    errors: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, label in EXCUSE_FIELDS.items():
        chosen = values.get(name) or []
        twice = [v for v in chosen if v in seen]
        if twice:
            errors[name] = (f"{label}: {len(twice)} kejadian sudah dicentang sebagai "
                            f"{EXCUSE_FIELDS[seen[twice[0]]].lower()}; pilih satu alasan untuk setiap kejadian.")
        seen.update({v: name for v in chosen})
        if chosen and not values.get(f"bukti_{name}"):
            errors[f"bukti_{name}"] = f"Tautan bukti {label.lower()} wajib diisi karena ada kejadian yang dicentang."
    return errors


__all__ = ["APEL_DAYS", "DAFTAR_APEL", "EXCUSE_FIELDS", "KEPUTUSAN_ATASAN"]


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
KEPUTUSAN_ATASAN = FORMS["pekan_disiplin_keputusan_atasan"]
DAFTAR_APEL = FORMS["pekan_disiplin_apel"]
