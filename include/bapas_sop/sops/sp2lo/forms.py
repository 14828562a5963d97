"""The forms of SP2LO (Sistem Pengawasan Penyelesaian Litmas secara Online)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bapas_sop.forms.common import review_decision_fields
from bapas_sop.forms.checks import named_bound, named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind
from bapas_sop.settings import get_settings
from bapas_sop.sops.sp2lo import terms as litmas_terms
from bapas_sop.sops.sp2lo.terms import LITMAS_TYPES, SECTION_LABELS

REQUESTING_AGENCIES = tuple(Choice(k, v) for k, v in litmas_terms.REQUESTING_AGENCIES.items())
CATEGORIES = (Choice("anak", "Klien anak"), Choice("dewasa", "Klien dewasa"))
LITMAS_TYPE_CHOICES = tuple(Choice(k, v) for k, v in LITMAS_TYPES.items())
SECTION_CHOICES = tuple(Choice(k, v) for k, v in SECTION_LABELS.items())


#: The earliest receipt a letter may be recorded with unless ``[sp2lo] diterima_paling_awal``
#: says otherwise: an older date is a typo (``0001-01-02``) that would stop the monitor.
DEFAULT_RECEIVED_FLOOR = date(2000, 1, 1)
#: A trip reported with the Litmas ends at most this many days from today.
TRIP_HORIZON_DAYS = 366


@named_bound("sp2lo_received_floor")
def received_floor() -> date:
    """``[sp2lo] diterima_paling_awal`` (an ISO date) from the office config, read at each check."""
    configured = get_settings().config.get("sp2lo", {}).get("diterima_paling_awal")
    if configured is None:
        return DEFAULT_RECEIVED_FLOOR
    return configured if isinstance(configured, date) else date.fromisoformat(str(configured))


@named_check("sp2lo_trip_dates")
def _trip_dates(values: Mapping[str, Any]) -> dict[str, str]:
    start, end = values.get("tanggal_berangkat"), values.get("tanggal_kembali")
    if start and end and end < start:
        return {"tanggal_kembali": "Tanggal kembali tidak boleh sebelum tanggal berangkat."}
    return {}


_REQUEST_FIELDS = (
    Field("nomor_surat", "Nomor surat permintaan", max_length=200, placeholder="mis. B/123/XII/2026/Reskrim"),
    Field("tanggal_surat", "Tanggal surat", Kind.DATE),
    Field("instansi", "Instansi pemohon", Kind.CHOICE, choices=REQUESTING_AGENCIES),
    Field("nama_instansi", "Nama instansi", max_length=300, placeholder="mis. Polresta Jambi"),
    Field("nama_pemohon", "Nama pejabat/petugas pemohon", max_length=200),
    Field("email_pemohon", "Email pemohon", Kind.EMAIL, help="Tanda terima dan pemberitahuan selesai dikirim ke alamat ini."),
    Field("nama_klien", "Nama klien", max_length=200),
    Field("kategori", "Kategori klien", Kind.CHOICE, choices=CATEGORIES),
    Field("jenis_litmas", "Jenis Litmas", Kind.CHOICE, choices=LITMAS_TYPE_CHOICES),
)

PERMOHONAN = FormSpec(
    name="sp2lo_permohonan",
    title="Permintaan Penelitian Kemasyarakatan (Litmas)",
    intro=(
        "Isi formulir ini untuk mengajukan permintaan Litmas. Anda akan menerima tanda terima "
        "dengan nomor perkara melalui email."
    ),
    fields=_REQUEST_FIELDS,
    submit_label="Ajukan permintaan",
    allow_handover=False,
)

SURAT_MASUK = FormSpec(
    name="sp2lo_surat_masuk",
    title="Catat surat permintaan Litmas yang diterima",
    intro="Untuk petugas: catat surat permintaan Litmas yang diterima melalui pos, kurir atau langsung.",
    fields=(
        *_REQUEST_FIELDS,
        Field("diterima_pada", "Waktu surat diterima (WIB)", Kind.DATETIME, help="Jam mulai dihitungnya batas waktu.",
              not_future=True, earliest=received_floor),
    ),
    submit_label="Catat surat",
    allow_handover=False,
)

DISPOSISI = FormSpec(
    name="sp2lo_disposisi",
    title="Disposisi permintaan Litmas",
    intro="Tentukan seksi yang menangani permintaan Litmas ini. Saran sistem: klien anak ke BKA, klien dewasa ke BKD.",
    fields=(
        Field("seksi", "Diteruskan kepada", Kind.CHOICE, choices=SECTION_CHOICES),
        Field("catatan", "Catatan disposisi", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Kirim disposisi",
)

TUNJUK_PK = FormSpec(
    name="sp2lo_tunjuk_pk",
    title="Penunjukan Pembimbing Kemasyarakatan",
    intro="Pilih PK yang akan melakukan Litmas. Angka dalam kurung adalah jumlah Litmas yang sedang ditangani.",
    fields=(
        Field("pk_nip", "Pembimbing Kemasyarakatan", Kind.CHOICE, choices_from="pk_options"),
        Field("catatan", "Catatan untuk PK", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Tunjuk PK",
)

LAPORAN_LITMAS = FormSpec(
    name="sp2lo_laporan_litmas",
    title="Laporan penyelesaian Litmas",
    intro="Laporkan Litmas yang sudah selesai. Jika Anda melakukan perjalanan dinas, isi juga tujuan dan tanggalnya.",
    fields=(
        Field("nomor_laporan", "Nomor laporan Litmas", max_length=200),
        Field("tanggal_selesai", "Tanggal selesai", Kind.DATE),
        Field("ringkasan", "Ringkasan hasil Litmas", Kind.LONG_TEXT, max_length=4000),
        Field("tautan_laporan", "Tautan dokumen laporan", Kind.FILE_LINK, required=False, help="Mis. tautan Google Drive."),
        Field("perjalanan_dinas", "Melakukan perjalanan dinas?", Kind.YES_NO),
        Field("tujuan", "Tujuan perjalanan dinas", required_if=("perjalanan_dinas", "ya"), max_length=300),
        Field("tanggal_berangkat", "Tanggal berangkat", Kind.DATE, required_if=("perjalanan_dinas", "ya"),
              max_days_ahead=TRIP_HORIZON_DAYS),
        Field("tanggal_kembali", "Tanggal kembali", Kind.DATE, required_if=("perjalanan_dinas", "ya"),
              max_days_ahead=TRIP_HORIZON_DAYS),
    ),
    submit_label="Kirim laporan",
    checks=(_trip_dates,),
)

REKOMENDASI = FormSpec(
    name="sp2lo_rekomendasi",
    title="Rekomendasi hasil Litmas",
    intro="Periksa laporan Litmas. Setujui, atau kembalikan kepada PK untuk direvisi dengan catatan.",
    fields=review_decision_fields(),
    submit_label="Kirim rekomendasi",
)

PENGAJUAN_SPPD = FormSpec(
    name="sp2lo_pengajuan_sppd",
    title="Pengajuan SPPD",
    intro="Litmas Anda telah disetujui. Ajukan pembayaran Surat Perintah Perjalanan Dinas (SPPD).",
    fields=(
        Field("nomor_spt", "Nomor Surat Perintah Tugas", max_length=200),
        Field("jumlah_diajukan", "Jumlah yang diajukan (Rp)", Kind.NUMBER, min_value=1, max_value=100_000_000),
        Field("rincian", "Rincian biaya", Kind.LONG_TEXT, max_length=4000),
    ),
    submit_label="Ajukan SPPD",
)

PENCAIRAN_SPPD = FormSpec(
    name="sp2lo_pencairan_sppd",
    title="Pencairan SPPD",
    intro="Catat pencairan SPPD yang diajukan PK.",
    fields=(
        Field("tanggal_pencairan", "Tanggal pencairan", Kind.DATE),
        Field("jumlah_dicairkan", "Jumlah dicairkan (Rp)", Kind.NUMBER, min_value=0, max_value=100_000_000),
        Field("nomor_bukti", "Nomor bukti kas", max_length=200),
    ),
    submit_label="Catat pencairan",
)

PERTANGGUNGJAWABAN = FormSpec(
    name="sp2lo_pertanggungjawaban",
    title="Pertanggungjawaban perjalanan dinas",
    intro="Serahkan pertanggungjawaban perjalanan dinas paling lambat 5 hari kerja setelah perjalanan.",
    fields=(
        Field("tanggal_serah", "Tanggal diserahkan", Kind.DATE),
        Field("tautan_bukti", "Tautan bukti (tiket, kuitansi, laporan)", Kind.FILE_LINK),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Kirim pertanggungjawaban",
)

register(
    PERMOHONAN, SURAT_MASUK, DISPOSISI, TUNJUK_PK, LAPORAN_LITMAS, REKOMENDASI,
    PENGAJUAN_SPPD, PENCAIRAN_SPPD, PERTANGGUNGJAWABAN,
)
