"""The forms of Tamu Ngopi (Tatap Muka Sharing Opini), the monthly opinion forum."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register_declared
from bapas_sop.textid import WIB

#: How many action items the Kabapas can set from one forum (slots of the decision form).
MAX_ITEMS = 5


def _today() -> date:
    return datetime.now(WIB).date()


@named_check("tamu_ngopi_forum_not_in_the_past")
def _forum_not_in_the_past(values: Mapping[str, Any]) -> dict[str, str]:
    day = values.get("tanggal")
    if day and date.fromisoformat(day) < _today():
        return {"tanggal": "Tanggal forum tidak boleh sebelum hari ini."}
    return {}


@named_check("tamu_ngopi_complete_items")
def _complete_items(values: Mapping[str, Any]) -> dict[str, str]:
    """A filled action item needs its owner and due date; an owner or date alone needs the item."""
    errors: dict[str, str] = {}
    for i in range(1, MAX_ITEMS + 1):
        text, owner, due = values.get(f"tindakan_{i}"), values.get(f"pj_{i}"), values.get(f"tenggat_{i}")
        if text:
            if not owner:
                errors[f"pj_{i}"] = f"Penanggung jawab tindak lanjut {i} wajib dipilih."
            if not due:
                errors[f"tenggat_{i}"] = f"Tenggat tindak lanjut {i} wajib diisi."
            elif date.fromisoformat(due) < _today():
                errors[f"tenggat_{i}"] = f"Tenggat tindak lanjut {i} tidak boleh sebelum hari ini."
        elif owner or due:
            errors[f"tindakan_{i}"] = f"Tindak lanjut {i} wajib diisi bila penanggung jawab atau tenggatnya diisi."
    return errors


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
USULAN_TOPIK = FORMS["tamu_ngopi_usulan_topik"]
AGENDA = FORMS["tamu_ngopi_agenda"]
KEHADIRAN = FORMS["tamu_ngopi_kehadiran"]
NOTULEN = FORMS["tamu_ngopi_notulen"]
KEPUTUSAN = FORMS["tamu_ngopi_keputusan"]
LAPORAN_TINDAK_LANJUT = FORMS["tamu_ngopi_laporan_tindak_lanjut"]
