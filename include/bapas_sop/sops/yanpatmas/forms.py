"""The forms of Yanpatmas: the complaint (public, and typed in by ULP), the status check, and
the steps of ULP, the Kepala Bapas, the examiner and the complainant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bapas_sop.directory import get_directory
from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind
from bapas_sop.sops.yanpatmas import rules

PHONE_PATTERN = r"\+?[0-9][0-9 ()\-]{6,19}"
TICKET_PATTERN = r"\s*[Yy][Pp]-\d{4}-\d{4,6}\s*"
#: The earliest day a complaint typed in by ULP may have been received.
RECEIVED_FLOOR = date(2020, 1, 1)

STAFF_CHANNELS = tuple(Choice(k, v) for k, v in rules.CHANNELS.items() if k != "web")


@named_check("yanpatmas_contact_given")
def _contact_given(values: Mapping[str, Any]) -> dict[str, str]:
    """A named complainant leaves an email or a phone number; an anonymous one need not."""
    if values.get("anonim") or values.get("email") or values.get("telepon"):
        return {}
    return {"email": "Isi email atau nomor telepon/WhatsApp agar kami dapat mengabari Anda (atau pilih anonim)."}


_COMPLAINT_FIELDS = (
    Field("anonim", "Sampaikan tanpa nama (anonim)?", Kind.YES_NO,
          help="Bila anonim, nama tidak diminta; isi email atau telepon bila ingin menerima kabar."),
    Field("nama", "Nama Anda", required_if=("anonim", "tidak"), max_length=200),
    Field("email", "Email", Kind.EMAIL, required=False, help="Nomor tiket dan kabar penanganan dikirim ke sini."),
    Field("telepon", "Nomor telepon / WhatsApp", required=False, max_length=20, pattern=PHONE_PATTERN,
          pattern_message="tulis nomor telepon dengan angka saja, mis. 0812 3456 7890.", placeholder="mis. 0812 3456 7890"),
    Field("perihal", "Apa yang Anda adukan", max_length=300,
          placeholder="mis. pelayanan pendaftaran klien, sikap petugas"),
    Field("terlapor", "Siapa yang diadukan (bila ada)", required=False, max_length=300,
          help="Nama, jabatan atau ciri petugas, atau unit layanan. Boleh dikosongkan."),
    Field("waktu_tempat", "Kapan dan di mana kejadiannya", max_length=300,
          placeholder="mis. Senin 16 November 2026 pukul 10.00, ruang layanan"),
    Field("uraian", "Uraian pengaduan", Kind.LONG_TEXT, max_length=5000),
    Field("tautan_bukti", "Tautan bukti (bila ada)", Kind.FILE_LINK, required=False,
          help="Mis. tautan foto atau dokumen di Google Drive."),
)

PENGADUAN = FormSpec(
    name="yanpatmas_pengaduan",
    title="Pengaduan Masyarakat (YANPATMAS)",
    intro=(
        "Sampaikan keluhan atau pengaduan tentang layanan Bapas. Identitas Anda dirahasiakan dan hanya "
        "dibaca oleh Unit Layanan Pengaduan dan Kepala Bapas. Setelah terkirim Anda menerima nomor tiket "
        "dan kode pelacakan untuk memeriksa status pengaduan."
    ),
    fields=_COMPLAINT_FIELDS,
    submit_label="Kirim pengaduan",
    allow_handover=False,
    checks=(_contact_given,),
)

PENGADUAN_MASUK = FormSpec(
    name="yanpatmas_pengaduan_masuk",
    title="Catat pengaduan yang masuk",
    intro="Untuk Unit Layanan Pengaduan: catat pengaduan yang diterima melalui saluran lain, dengan saluran dan waktu terimanya.",
    fields=(
        Field("saluran", "Diterima melalui", Kind.CHOICE, choices=STAFF_CHANNELS),
        Field("diterima_pada", "Waktu diterima (WIB)", Kind.DATETIME, not_future=True, earliest=RECEIVED_FLOOR,
              help="Batas waktu dihitung sejak saat ini."),
        *_COMPLAINT_FIELDS,
    ),
    submit_label="Catat pengaduan",
    allow_handover=False,
    checks=(_contact_given,),
)

STATUS = FormSpec(
    name="yanpatmas_status",
    title="Cek status pengaduan",
    intro="Masukkan nomor tiket dan kode pelacakan yang Anda terima saat menyampaikan pengaduan.",
    fields=(
        Field("tiket", "Nomor tiket", max_length=20, pattern=TICKET_PATTERN,
              pattern_message="tulis seperti pada tanda terima, mis. YP-2026-0001.", placeholder="YP-2026-0001"),
        Field("kode", "Kode pelacakan", max_length=20, placeholder="mis. K7QM-3XPA"),
    ),
    submit_label="Cek status",
    allow_handover=False,
)

PENILAIAN = FormSpec(
    name="yanpatmas_penilaian",
    title="Nilai penanganan pengaduan",
    intro="Bagaimana penanganan pengaduan Anda? Penilaian Anda membantu kami memperbaiki layanan.",
    fields=(Field("nilai", "Penilaian (1 = sangat buruk, 5 = sangat baik)", Kind.RATING),),
    submit_label="Kirim penilaian",
    allow_handover=False,
)

PENERIMAAN = FormSpec(
    name="yanpatmas_penerimaan",
    title="Pemeriksaan kelengkapan pengaduan",
    intro="Periksa kelengkapan pengaduan. Bila belum lengkap, tulis apa yang perlu ditambahkan pelapor; "
          "bila di luar kewenangan Bapas, tulis alasannya dan ke mana pengaduan sebaiknya disampaikan.",
    fields=(
        Field("keputusan", "Hasil pemeriksaan", Kind.CHOICE, choices=(
            Choice("lengkap", "Lengkap, diteruskan kepada Kepala Bapas"),
            Choice("tidak_lengkap", "Belum lengkap, minta pelapor melengkapi"),
            Choice("di_luar_kewenangan", "Di luar kewenangan Bapas, ditutup"),
        )),
        Field("kekurangan", "Yang perlu dilengkapi pelapor", Kind.LONG_TEXT, required_if=("keputusan", "tidak_lengkap"),
              max_length=2000),
        Field("alasan", "Alasan di luar kewenangan", Kind.LONG_TEXT, required_if=("keputusan", "di_luar_kewenangan"),
              max_length=2000),
        Field("rujukan", "Ke mana pengaduan sebaiknya disampaikan", Kind.LONG_TEXT,
              required_if=("keputusan", "di_luar_kewenangan"), max_length=1000),
    ),
    submit_label="Kirim hasil pemeriksaan",
    allow_handover=False,
)

MELENGKAPI = FormSpec(
    name="yanpatmas_melengkapi",
    title="Lengkapi pengaduan Anda",
    intro="Unit Layanan Pengaduan membutuhkan keterangan tambahan (lihat di atas). Tulis keterangannya di bawah.",
    fields=(
        Field("tambahan", "Keterangan tambahan", Kind.LONG_TEXT, max_length=5000),
        Field("tautan_bukti", "Tautan bukti tambahan (bila ada)", Kind.FILE_LINK, required=False),
    ),
    submit_label="Kirim kelengkapan",
    allow_handover=False,
)

PENYAMPAIAN = FormSpec(
    name="yanpatmas_penyampaian",
    title="Penyampaian pengaduan kepada Kepala Bapas",
    intro="Tulis ringkasan pengaduan untuk Kepala Bapas. Identitas pelapor tidak perlu ditulis.",
    fields=(Field("ringkasan", "Ringkasan ULP", Kind.LONG_TEXT, max_length=3000),),
    submit_label="Teruskan kepada Kepala Bapas",
    allow_handover=False,
)


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


ANALISIS = FormSpec(
    name="yanpatmas_analisis",
    title="Telaah pengaduan",
    intro="Tentukan kategori, apakah pengaduan berdasar, dan apakah perlu pemeriksaan. Pemeriksa tidak boleh "
          "pegawai yang diadukan atau bawahannya.",
    fields=(
        Field("kategori", "Kategori", Kind.CHOICE, choices=tuple(Choice(k, v) for k, v in rules.categories().items())),
        Field("berdasar", "Pengaduan berdasar?", Kind.YES_NO),
        Field("perlu_pemeriksaan", "Perlu pemeriksaan terhadap terlapor?", Kind.YES_NO),
        Field("terlapor_nip", "Pegawai yang diadukan (bila pegawai Bapas)", Kind.PERSON, required=False,
              choices_from="staff_options"),
        Field("pemeriksa_nip", "Pemeriksa", Kind.PERSON, required_if=("perlu_pemeriksaan", "ya"),
              choices_from="staff_options"),
        Field("tanggapan", "Tanggapan untuk pelapor (bila tanpa pemeriksaan)", Kind.LONG_TEXT,
              required_if=("perlu_pemeriksaan", "tidak"), max_length=3000,
              help="Disampaikan kepada pelapor apa adanya; jangan menulis nama pegawai."),
        Field("catatan", "Catatan telaah (internal)", Kind.LONG_TEXT, required=False, max_length=3000),
    ),
    submit_label="Kirim telaah",
    allow_handover=False,
    checks=(_examiner_allowed,),
)

PEMERIKSAAN = FormSpec(
    name="yanpatmas_pemeriksaan",
    title="Hasil pemeriksaan terhadap terlapor",
    intro="Catat pemeriksaan: tanggal, keterangan terlapor dan saksi, bukti, dan kesimpulan.",
    fields=(
        Field("tanggal_pemeriksaan", "Tanggal pemeriksaan", Kind.DATE, not_future=True, earliest=RECEIVED_FLOOR),
        Field("keterangan_terlapor", "Keterangan terlapor", Kind.LONG_TEXT, max_length=5000),
        Field("keterangan_saksi", "Keterangan saksi", Kind.LONG_TEXT, required=False, max_length=5000),
        Field("bukti", "Bukti yang diperiksa", Kind.LONG_TEXT, required=False, max_length=3000),
        Field("kesimpulan", "Kesimpulan", Kind.CHOICE, choices=tuple(Choice(k, v) for k, v in rules.OUTCOMES.items())),
        Field("uraian_kesimpulan", "Uraian kesimpulan", Kind.LONG_TEXT, max_length=5000),
    ),
    submit_label="Kirim hasil pemeriksaan",
    allow_handover=False,
)

PENGESAHAN = FormSpec(
    name="yanpatmas_pengesahan",
    title="Pengesahan laporan hasil pemeriksaan",
    intro="Periksa laporan hasil pemeriksaan. Setelah disahkan, laporan dikirim kepada Kepala Kantor Wilayah dan "
          "hasilnya disampaikan kepada pelapor dengan kata-kata sederhana.",
    fields=(
        Field("pengesahan", "Keputusan", Kind.CHOICE, choices=(Choice("setuju", "Sahkan laporan"),)),
        Field("pesan_pelapor", "Pesan tambahan untuk pelapor", Kind.LONG_TEXT, required=False, max_length=2000,
              help="Disampaikan kepada pelapor; jangan menulis nama pegawai atau isi laporan internal."),
    ),
    submit_label="Sahkan",
    allow_handover=False,
)

SANKSI = FormSpec(
    name="yanpatmas_sanksi",
    title="Sanksi terhadap terlapor",
    intro="Pengaduan terbukti. Catat sanksi yang diputuskan beserta nomor keputusannya.",
    fields=(
        Field("tingkat", "Tingkat sanksi", Kind.CHOICE, choices=tuple(Choice(k, v) for k, v in rules.SANCTIONS.items())),
        Field("jenis", "Jenis sanksi", max_length=300, placeholder="mis. teguran tertulis"),
        Field("nomor_keputusan", "Nomor keputusan", max_length=200),
        Field("tanggal_keputusan", "Tanggal keputusan", Kind.DATE, not_future=True, earliest=RECEIVED_FLOOR),
    ),
    submit_label="Catat sanksi",
    allow_handover=False,
)

register(PENGADUAN, PENGADUAN_MASUK, STATUS, PENILAIAN, PENERIMAAN, MELENGKAPI, PENYAMPAIAN, ANALISIS, PEMERIKSAAN,
         PENGESAHAN, SANKSI)
