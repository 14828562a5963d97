"""The forms of Gaji UMR (Gerakan Bapas Jambi Untuk Masyarakat), the monthly social activity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind

WIB = ZoneInfo("Asia/Jakarta")
MAX_CLIENTS = 10

#: PK's answer after contacting a client (the value is what the flow reads).
CONTACT_CHOICES = (
    Choice("dikonfirmasi", "Klien bersedia hadir"),
    Choice("menolak", "Klien menolak atau berhalangan"),
    Choice("tidak_terhubung", "Klien tidak dapat dihubungi"),
)


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


KEGIATAN = FormSpec(
    name="gaji_umr_kegiatan",
    title="Penetapan kegiatan sosial Gaji UMR",
    intro=(
        "Tentukan kegiatan sosial bulan ini, tempat dan tanggalnya (satu hari). Isian sudah berisi "
        "saran sistem; ubah sesuai keputusan Bapak/Ibu. Bila tidak dijawab sampai batas waktu, "
        "saran sistem yang dipakai."
    ),
    fields=(
        Field("kegiatan", "Kegiatan sosial", max_length=300, placeholder="mis. Kerja bakti membersihkan masjid"),
        Field("tempat", "Tempat", max_length=300),
        Field("tanggal", "Tanggal pelaksanaan", Kind.DATE),
        Field("jam", "Jam mulai (WIB)", required=False, max_length=5, pattern=r"([01]\d|2[0-3])[.:][0-5]\d",
              pattern_message="tulis jam seperti 08.00.", placeholder="08.00"),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Tetapkan kegiatan",
    checks=(_not_in_the_past,),
)

PERSETUJUAN_KLIEN = FormSpec(
    name="gaji_umr_persetujuan_klien",
    title="Persetujuan klien peserta Gaji UMR",
    intro=(
        "Sistem mengusulkan klien yang sudah mendapat bimbingan dan paling lama belum diikutsertakan "
        "(bergiliran). Yang diusulkan sudah dicentang; kirim tanpa perubahan untuk menyetujui, atau "
        "ganti centangnya untuk menukar klien."
    ),
    fields=(
        Field("klien", "Klien yang diikutsertakan", Kind.MULTI_CHOICE, choices_from="klien_options"),
        Field("catatan", "Catatan untuk PK", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Setujui daftar klien",
    checks=(_client_count,),
)

KONTAK_KLIEN = FormSpec(
    name="gaji_umr_kontak_klien",
    title="Konfirmasi kesediaan klien Gaji UMR",
    intro=(
        "Hubungi klien bimbingan Anda berikut dan sampaikan undangan kegiatan sosial Gaji UMR. "
        "Bila klien menolak atau tidak dapat dihubungi, sistem mengundang klien berikutnya."
    ),
    fields=(
        Field("status", "Hasil menghubungi klien", Kind.CHOICE, choices=CONTACT_CHOICES),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000,
              help="mis. alasan berhalangan, atau nomor yang dihubungi."),
    ),
    submit_label="Kirim konfirmasi",
)

KEHADIRAN = FormSpec(
    name="gaji_umr_kehadiran",
    title="Daftar hadir kegiatan Gaji UMR",
    intro="Pada hari pelaksanaan, centang klien yang hadir dan catat jalannya kegiatan.",
    fields=(
        Field("hadir", "Klien yang hadir", Kind.MULTI_CHOICE, choices_from="peserta", required=False),
        Field("jumlah_petugas", "Jumlah petugas Bapas yang ikut", Kind.NUMBER, min_value=0, max_value=200),
        Field("uraian", "Uraian pelaksanaan kegiatan", Kind.LONG_TEXT, max_length=4000),
        Field("tautan_dokumentasi", "Tautan dokumentasi (foto/video)", Kind.FILE_LINK, required=False),
    ),
    submit_label="Kirim daftar hadir",
)

register(KEGIATAN, PERSETUJUAN_KLIEN, KONTAK_KLIEN, KEHADIRAN)
