"""The forms of Piket Hari Libur (Bu Tejo): review, approval, substitution, and the duty page's log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.forms.common import review_decision_fields
from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind

#: Staf TU may change this many places of the draft in one review.
MAX_SWAPS = 4

#: The officer's answer to their duty dates (the value is what the flow reads).
AVAILABLE, UNAVAILABLE = "bersedia", "berhalangan"
#: The substitute's answer.
ACCEPT, DECLINE = "bersedia", "menolak"


def _swap_fields() -> tuple[Field, ...]:
    fields: list[Field] = []
    for i in range(1, MAX_SWAPS + 1):
        fields += [
            Field(f"keluar_{i}", f"Penukaran {i}: petugas yang diganti", Kind.CHOICE, required=False,
                  choices_from="jadwal_options", help="Hari dan petugas pada rancangan jadwal."),
            Field(f"masuk_{i}", f"Penukaran {i}: penggantinya", Kind.CHOICE, required=False,
                  choices_from="pegawai_options"),
        ]
    return tuple(fields)


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


PEMERIKSAAN = FormSpec(
    name="piket_hari_libur_pemeriksaan",
    title="Pemeriksaan rancangan jadwal piket hari libur",
    intro=(
        "Sistem menyusun rancangan jadwal piket bulan depan secara bergiliran: yang paling sedikit piket tahun ini "
        "lebih dulu, tanpa pegawai yang cuti atau dinas luar, dan tidak dua hari piket berturut-turut. Periksa "
        "rancangan di atas. Bila perlu, tukar petugas pada hari tertentu; kosongkan bila rancangan sudah sesuai."
    ),
    fields=(*_swap_fields(),
            Field("catatan", "Catatan untuk Kepala Bapas", Kind.LONG_TEXT, required=False, max_length=2000)),
    submit_label="Kirim ke Kepala Bapas",
    checks=(_swaps_complete,),
)

PERSETUJUAN = FormSpec(
    name="piket_hari_libur_persetujuan",
    title="Persetujuan jadwal piket hari libur",
    intro="Setujui jadwal piket hari libur, atau kembalikan kepada Staf TU dengan catatan perbaikan.",
    fields=review_decision_fields(approve_label="Setujui jadwal"),
    submit_label="Kirim keputusan",
)

KESEDIAAN = FormSpec(
    name="piket_hari_libur_kesediaan",
    title="Kesediaan bertugas piket hari libur",
    intro=(
        "Anda dijadwalkan piket pada hari libur di atas. Bila berhalangan pada salah satu tanggal, pilih tanggalnya "
        "dan pegawai pengganti yang sudah Anda hubungi; pengganti akan diminta konfirmasi."
    ),
    fields=(
        Field("kesediaan", "Kesediaan", Kind.CHOICE, choices=(
            Choice(AVAILABLE, "Saya bersedia bertugas pada semua tanggal"),
            Choice(UNAVAILABLE, "Saya berhalangan dan mengusulkan pengganti"),
        )),
        Field("tanggal", "Tanggal berhalangan", Kind.MULTI_CHOICE, choices_from="tanggal_options",
              required_if=("kesediaan", UNAVAILABLE)),
        Field("pengganti", "Pegawai pengganti", Kind.CHOICE, choices_from="pengganti_options",
              required_if=("kesediaan", UNAVAILABLE)),
        Field("alasan", "Alasan berhalangan", Kind.LONG_TEXT, required_if=("kesediaan", UNAVAILABLE), max_length=1000),
    ),
    submit_label="Kirim",
    allow_handover=False,  # the substitute is named here and must confirm
)

KONFIRMASI_PENGGANTI = FormSpec(
    name="piket_hari_libur_konfirmasi_pengganti",
    title="Konfirmasi pengganti piket hari libur",
    intro="Rekan Anda berhalangan bertugas piket dan mengusulkan Anda sebagai pengganti. Bersediakah Anda?",
    fields=(
        Field("keputusan", "Keputusan", Kind.CHOICE, choices=(
            Choice(ACCEPT, "Saya bersedia menggantikan"), Choice(DECLINE, "Saya tidak dapat menggantikan"))),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required_if=("keputusan", DECLINE), max_length=1000,
              help="Wajib diisi bila tidak dapat menggantikan."),
    ),
    submit_label="Kirim konfirmasi",
    allow_handover=False,
)

PENUNJUKAN_PENGGANTI = FormSpec(
    name="piket_hari_libur_penunjukan_pengganti",
    title="Penunjukan pengganti petugas piket",
    intro=(
        "Petugas piket berhalangan dan pengganti yang diusulkannya tidak bersedia. Tunjuk pegawai pengganti; "
        "penunjukan ini langsung berlaku dan pegawai tersebut diberi tahu."
    ),
    fields=(
        Field("pengganti", "Pegawai pengganti", Kind.CHOICE, choices_from="pengganti_options"),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=1000),
    ),
    submit_label="Tunjuk pengganti",
)

# --- the duty page of the day (not human steps: the officer fills them as often as needed) ---

WAJIB_LAPOR = FormSpec(
    name="piket_hari_libur_wajib_lapor",
    title="Klien wajib lapor",
    intro="Catat klien yang datang wajib lapor hari ini.",
    fields=(
        Field("nama_klien", "Nama klien", max_length=200),
        Field("nomor_register", "Nomor register klien", required=False, max_length=100),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=1000),
    ),
    submit_label="Catat wajib lapor",
    allow_handover=False,
)

PEMBEBASAN = FormSpec(
    name="piket_hari_libur_pembebasan",
    title="Penerimaan klien bebas bersyarat",
    intro="Catat klien yang diterima dari Lapas/Rutan (pembebasan bersyarat, cuti bersyarat, cuti menjelang bebas).",
    fields=(
        Field("nama_klien", "Nama klien", max_length=200),
        Field("asal", "Asal Lapas/Rutan", max_length=200, placeholder="mis. Lapas Kelas IIA Jambi"),
        Field("nomor_sk", "Nomor SK pembebasan", required=False, max_length=200),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=1000),
    ),
    submit_label="Catat penerimaan",
    allow_handover=False,
)

register(PEMERIKSAAN, PERSETUJUAN, KESEDIAAN, KONFIRMASI_PENGGANTI, PENUNJUKAN_PENGGANTI, WAJIB_LAPOR, PEMBEBASAN)
