"""The forms of Pekan Disiplin: the supervisor's decisions on the week's incidents, and the
apel/uniform checklist of the officer on duty.

Both list people from the request's context (``choices_from``), built by the flow from the
project's tables when the request is opened: the lists never pass through Airflow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Field, FormSpec, Kind

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


def _excuse_fields() -> tuple[Field, ...]:
    fields: list[Field] = []
    for name, label in EXCUSE_FIELDS.items():
        fields.append(Field(name, f"Dimaafkan karena {label.lower()}", Kind.MULTI_CHOICE, required=False,
                            choices_from="kejadian"))
        fields.append(Field(f"bukti_{name}", f"Tautan bukti {label.lower()}", Kind.FILE_LINK, required=False,
                            help="Surat dokter, surat izin, surat cuti atau surat tugas yang dipindai "
                                 "(Google Drive atau penyimpanan kantor)."))
    return tuple(fields)


KEPUTUSAN_ATASAN = FormSpec(
    name="pekan_disiplin_keputusan_atasan",
    title="Keputusan atasan: kehadiran bawahan pekan ini",
    intro=(
        "Berikut kejadian kehadiran bawahan langsung Anda pada pekan ini menurut mesin sidik jari "
        "(terlambat, pulang cepat, scan tidak lengkap, tidak masuk). Centang kejadian yang beralasan sah "
        "dan sertakan tautan buktinya. Kejadian yang tidak dicentang dicatat tidak sah dan dihitung dalam "
        "akumulasi hari tidak masuk kerja menurut PP 94/2021; tidak ada hukuman yang dijatuhkan otomatis."
    ),
    fields=(
        *_excuse_fields(),
        Field("catatan", "Catatan untuk Tata Usaha", Kind.LONG_TEXT, required=False, max_length=1000),
    ),
    checks=(_one_reason_each,),
    submit_label="Kirim keputusan",
)

DAFTAR_APEL = FormSpec(
    name="pekan_disiplin_apel",
    title="Daftar periksa apel pagi dan seragam pekan ini",
    intro=(
        "Centang pegawai yang tidak mengikuti apel pagi dan yang tidak berseragam sesuai ketentuan pada "
        "setiap hari kerja pekan ini. Hari libur dan cuti bersama tidak dihitung; pegawai yang cuti atau "
        "dinas luar tidak perlu dicentang. Biarkan kosong bila semua hadir dan berseragam."
    ),
    fields=tuple(
        Field(f"{kind}_{day}", f"{label} — {day.capitalize() if day != 'jumat' else 'Jumat'}", Kind.MULTI_CHOICE,
              required=False, choices_from="pegawai")
        for day in APEL_DAYS
        for kind, label in (("tidak_apel", "Tidak mengikuti apel"), ("tidak_seragam", "Tidak berseragam"))
    ),
    submit_label="Kirim daftar periksa",
)

register(KEPUTUSAN_ATASAN, DAFTAR_APEL)

__all__ = ["APEL_DAYS", "DAFTAR_APEL", "EXCUSE_FIELDS", "KEPUTUSAN_ATASAN"]
