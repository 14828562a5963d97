"""The forms of Bus Mini, the weekly video news of the office on YouTube."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bapas_sop.forms.common import review_decision_fields
from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Field, FormSpec, Kind

YOUTUBE_URL = r"https?://(www\.|m\.)?(youtube\.com/(watch\?\S*v=|shorts/|live/)|youtu\.be/)[\w-]{6,}\S*"


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


KEGIATAN = FormSpec(
    name="bus_mini_kegiatan",
    title="Laporan kegiatan sepekan untuk Bus Mini",
    intro=(
        "Bus Mini adalah berita video mingguan Bapas di YouTube. Laporkan kegiatan Anda atau seksi Anda "
        "pekan ini yang layak diberitakan. Bila tidak ada, pilih «Tidak»; bila tidak dijawab sampai batas "
        "waktu, dianggap tidak ada kegiatan."
    ),
    fields=(
        Field("ada_kegiatan", "Ada kegiatan yang ingin dilaporkan?", Kind.YES_NO),
        Field("judul_1", "Judul kegiatan", max_length=200, required_if=("ada_kegiatan", "ya")),
        Field("tanggal_1", "Tanggal kegiatan", Kind.DATE, required_if=("ada_kegiatan", "ya")),
        Field("uraian_1", "Uraian singkat", Kind.LONG_TEXT, max_length=2000, required_if=("ada_kegiatan", "ya")),
        Field("tautan_1", "Tautan foto/video", Kind.FILE_LINK, required=False),
        Field("judul_2", "Judul kegiatan kedua (bila ada)", max_length=200, required=False),
        Field("tanggal_2", "Tanggal kegiatan kedua", Kind.DATE, required=False),
        Field("uraian_2", "Uraian singkat kegiatan kedua", Kind.LONG_TEXT, max_length=2000, required=False),
        Field("tautan_2", "Tautan foto/video kegiatan kedua", Kind.FILE_LINK, required=False),
    ),
    submit_label="Kirim laporan",
    checks=(_second_activity,),
)

PENGAMBILAN_GAMBAR = FormSpec(
    name="bus_mini_pengambilan_gambar",
    title="Konfirmasi pengambilan gambar Bus Mini",
    intro="Rundown pekan ini sudah dikirim ke Tim Humas. Konfirmasikan pengambilan gambar untuk video Bus Mini.",
    fields=(
        Field("tanggal_pengambilan", "Tanggal pengambilan gambar", Kind.DATE),
        Field("lokasi", "Lokasi", max_length=300),
        Field("tautan_bahan", "Tautan bahan gambar", Kind.FILE_LINK, required=False),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Konfirmasi pengambilan gambar",
)

PEREKAMAN_SUARA = FormSpec(
    name="bus_mini_perekaman_suara",
    title="Konfirmasi perekaman suara Bus Mini",
    intro=(
        "Konfirmasikan perekaman pengisian suara dan kirim tautan draf video untuk diperiksa Ketua Humas "
        "sebelum diunggah."
    ),
    fields=(
        Field("tanggal_rekam", "Tanggal perekaman suara", Kind.DATE),
        Field("pengisi_suara", "Pengisi suara", max_length=200),
        Field("tautan_draf", "Tautan draf video", Kind.FILE_LINK),
        Field("catatan", "Catatan untuk Ketua Humas", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Kirim draf",
)

PERSETUJUAN_DRAF = FormSpec(
    name="bus_mini_persetujuan_draf",
    title="Persetujuan draf video Bus Mini",
    intro="Periksa draf video Bus Mini pekan ini. Setujui untuk diunggah, atau kembalikan ke Tim Humas dengan catatan.",
    fields=review_decision_fields(approve_label="Setuju, silakan diunggah", notes_max_length=2000),
    submit_label="Kirim keputusan",
)

KONFIRMASI_UNGGAHAN = FormSpec(
    name="bus_mini_konfirmasi_unggahan",
    title="Konfirmasi unggahan video Bus Mini",
    intro=(
        "Pemeriksaan otomatis kanal YouTube belum diatur, jadi unggahan dikonfirmasi di sini. Setelah video "
        "Bus Mini pekan ini tayang di kanal YouTube Bapas, tempelkan tautannya."
    ),
    fields=(
        Field("tautan_video", "Tautan video YouTube", Kind.URL, pattern=YOUTUBE_URL,
              pattern_message="masukkan tautan video YouTube (youtube.com/watch?v=… atau youtu.be/…).",
              placeholder="https://www.youtube.com/watch?v=…"),
        Field("judul", "Judul video", required=False, max_length=300),
    ),
    submit_label="Konfirmasi unggahan",
)

register(KEGIATAN, PENGAMBILAN_GAMBAR, PEREKAMAN_SUARA, PERSETUJUAN_DRAF, KONFIRMASI_UNGGAHAN)
