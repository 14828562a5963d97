"""The forms of Yanpatmas: the complaint (public, and typed in by ULP), the status check, and
the steps of ULP, the Kepala Bapas, the examiner and the complainant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.directory import get_directory
from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register_declared
from bapas_sop.sops.yanpatmas import rules


@named_check("yanpatmas_contact_given")
def _contact_given(values: Mapping[str, Any]) -> dict[str, str]:
    """A named complainant leaves an email or a phone number; an anonymous one need not."""
    if values.get("anonim") or values.get("email") or values.get("telepon"):
        return {}
    return {"email": "Isi email atau nomor telepon/WhatsApp agar kami dapat mengabari Anda (atau pilih anonim)."}


@named_check("yanpatmas_examiner_allowed")
def _examiner_allowed(values: Mapping[str, Any]) -> dict[str, str]:
    """The conflict-of-interest rule (:func:`rules.conflict_of_interest`) on the analysis form."""
    examiner = values.get("pemeriksa_nip")
    if not values.get("perlu_pemeriksaan") or not examiner:
        return {}
    directory = get_directory()
    supervisors = {p.nip: p.supervisor_nip for p in directory.people}
    names = {p.nip: p.name for p in directory.people}
    reason = rules.conflict_of_interest(str(examiner), values.get("terlapor_nip"), supervisors, names)
    return {"pemeriksa_nip": reason} if reason else {}


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
PENGADUAN = FORMS["yanpatmas_pengaduan"]
PENGADUAN_MASUK = FORMS["yanpatmas_pengaduan_masuk"]
STATUS = FORMS["yanpatmas_status"]
PENILAIAN = FORMS["yanpatmas_penilaian"]
PENERIMAAN = FORMS["yanpatmas_penerimaan"]
MELENGKAPI = FORMS["yanpatmas_melengkapi"]
PENYAMPAIAN = FORMS["yanpatmas_penyampaian"]
ANALISIS = FORMS["yanpatmas_analisis"]
PEMERIKSAAN = FORMS["yanpatmas_pemeriksaan"]
PENGESAHAN = FORMS["yanpatmas_pengesahan"]
SANKSI = FORMS["yanpatmas_sanksi"]
