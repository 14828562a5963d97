"""The forms of Peterpan (Pegawai Terbaik Jadi Panutan), the quarterly best-employee vote."""

from __future__ import annotations

from bapas_sop.forms.registry import register_declared


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
SUARA = FORMS["peterpan_suara"]
PUTUSAN_SERI = FORMS["peterpan_putusan_seri"]
PERSETUJUAN_SERTIFIKAT = FORMS["peterpan_persetujuan_sertifikat"]
FOTO = FORMS["peterpan_foto"]
BINGKISAN = FORMS["peterpan_bingkisan"]
