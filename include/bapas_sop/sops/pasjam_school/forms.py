"""The forms of Pasjam School (Bapas Jambi Goes To School): observation, pick, the school's
answer, the day, the teachers' feedback, and the students' public quiz."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind
from bapas_sop.sops.pasjam_school.rules import QUIZ, STAGES

WIB = ZoneInfo("Asia/Jakarta")
MAX_STUDENTS = 2000
TIME_PATTERN = r"([01]\d|2[0-3])[.:][0-5]\d"

INCIDENT_KINDS = (
    Choice("perundungan", "Perundungan (bullying), termasuk di media sosial"),
    Choice("perkelahian", "Perkelahian atau tawuran"),
    Choice("narkoba", "Narkoba, rokok elektrik atau zat adiktif"),
    Choice("kekerasan_seksual", "Kekerasan atau pelecehan seksual"),
    Choice("pencurian", "Pencurian atau pemerasan"),
    Choice("lainnya", "Lainnya (tulis di catatan)"),
)


@named_check("pasjam_school_dates_not_in_the_past")
def _dates_not_in_the_past(values: Mapping[str, Any]) -> dict[str, str]:
    today = datetime.now(WIB).date()
    return {name: "Tanggal tidak boleh sebelum hari ini." for name in ("tanggal_1", "tanggal_2")
            if values.get(name) and date.fromisoformat(values[name]) < today}


OBSERVASI = FormSpec(
    name="pasjam_school_observasi",
    title="Observasi sekolah Pasjam School",
    intro=(
        "Lakukan observasi ke sekolah berikut (kunjungan, wawancara guru BK/kesiswaan, catatan sekolah) "
        "dan catat kejadian yang mengarah pada tindak pidana yang melibatkan siswa dalam 12 bulan terakhir. "
        "Hasilnya dipakai menghitung tingkat risiko sekolah."
    ),
    fields=(
        Field("tanggal_observasi", "Tanggal observasi", Kind.DATE, not_future=True),
        Field("insiden", "Jumlah kejadian yang teramati atau dilaporkan sekolah", Kind.NUMBER, min_value=0,
              max_value=100, help="12 bulan terakhir; tulis 0 bila tidak ada."),
        Field("jenis_insiden", "Jenis kejadian", Kind.MULTI_CHOICE, choices=INCIDENT_KINDS, required=False),
        Field("catatan", "Catatan observasi", Kind.LONG_TEXT, required=False, max_length=3000),
    ),
    submit_label="Kirim hasil observasi",
)

PENETAPAN = FormSpec(
    name="pasjam_school_penetapan",
    title="Penetapan sekolah Pasjam School",
    intro=(
        "Berikut peringkat tingkat risiko sekolah yang diobservasi, dengan sumbangan tiap faktor pada skornya. "
        "Sekolah dengan skor tertinggi sudah dipilih; kirim tanpa perubahan untuk menyetujui, atau pilih "
        "sekolah lain. Sekolah yang dipilih dihubungi lebih dulu; bila tidak bersedia, sekolah berikutnya "
        "menurut peringkat."
    ),
    fields=(
        Field("sekolah", "Sekolah sasaran penyuluhan", Kind.CHOICE, choices_from="sekolah_options"),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Tetapkan sekolah",
)

KOORDINASI = FormSpec(
    name="pasjam_school_koordinasi",
    title="Kesediaan sekolah menerima penyuluhan hukum",
    intro=(
        "Balai Pemasyarakatan Kelas II Jambi bermaksud memberikan penyuluhan hukum (Pasjam School: Bapas "
        "Jambi Goes To School) kepada siswa/siswi sekolah Bapak/Ibu, tanpa biaya. Mohon sampaikan "
        "kesediaan sekolah dan tanggal yang sesuai."
    ),
    fields=(
        Field("bersedia", "Apakah sekolah bersedia menerima penyuluhan?", Kind.YES_NO),
        Field("tanggal_1", "Tanggal pilihan pertama", Kind.DATE, required=False, required_if=("bersedia", "ya"),
              max_days_ahead=180),
        Field("tanggal_2", "Tanggal pilihan kedua", Kind.DATE, required=False, max_days_ahead=180),
        Field("jam", "Jam mulai (WIB)", required=False, required_if=("bersedia", "ya"), max_length=5,
              pattern=TIME_PATTERN, pattern_message="tulis jam seperti 08.00.", placeholder="08.00"),
        Field("jumlah_siswa", "Perkiraan jumlah siswa", Kind.NUMBER, required=False, required_if=("bersedia", "ya"),
              min_value=1, max_value=MAX_STUDENTS),
        Field("narahubung", "Nama narahubung di sekolah", required=False, required_if=("bersedia", "ya"), max_length=200),
        Field("telepon", "Telepon/WhatsApp narahubung", required=False, max_length=30,
              pattern=r"[0-9+() -]{6,30}", pattern_message="tulis nomor telepon, mis. 0812-3456-7890."),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000,
              help="mis. alasan bila belum bersedia, atau kelas yang diikutsertakan."),
    ),
    submit_label="Kirim jawaban",
    allow_handover=False,
    checks=(_dates_not_in_the_past,),
)

PENYULUHAN = FormSpec(
    name="pasjam_school_penyuluhan",
    title="Pelaksanaan penyuluhan Pasjam School",
    intro=(
        "Pada hari penyuluhan, catat tim Bapas yang bertugas dan jumlah siswa yang hadir. Kuis siswa "
        "(sebelum dan sesudah materi) tetap terbuka sampai guru mengirim umpan balik."
    ),
    fields=(
        Field("tim", "Tim Bapas yang bertugas", Kind.MULTI_CHOICE, choices_from="tim_options"),
        Field("jumlah_siswa_hadir", "Jumlah siswa yang hadir", Kind.NUMBER, min_value=0, max_value=MAX_STUDENTS),
        Field("materi", "Materi penyuluhan", max_length=300,
              placeholder="mis. Perundungan dan Sistem Peradilan Pidana Anak"),
        Field("catatan", "Catatan pelaksanaan", Kind.LONG_TEXT, required=False, max_length=3000),
        Field("tautan_dokumentasi", "Tautan dokumentasi (foto/video)", Kind.FILE_LINK, required=False),
    ),
    submit_label="Kirim catatan pelaksanaan",
)

UMPAN_BALIK = FormSpec(
    name="pasjam_school_umpan_balik",
    title="Umpan balik guru atas penyuluhan Pasjam School",
    intro="Terima kasih telah menerima tim Bapas. Mohon penilaian Bapak/Ibu guru atas penyuluhan hari ini.",
    fields=(
        Field("penilaian", "Penilaian keseluruhan (1 = kurang, 5 = sangat baik)", Kind.RATING),
        Field("bermanfaat", "Apakah materinya bermanfaat bagi siswa?", Kind.YES_NO),
        Field("saran", "Saran untuk penyuluhan berikutnya", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Kirim umpan balik",
    allow_handover=False,
)

KUIS = FormSpec(
    name="pasjam_school_kuis",
    title="Kuis penyuluhan hukum Bapas Jambi",
    intro="Jawab tanpa menulis nama. Isi sekali sebelum materi dan sekali lagi sesudah materi.",
    fields=(
        Field("tahap", "Saya mengisi kuis ini…", Kind.CHOICE, choices=tuple(Choice(v, l) for v, l in STAGES.items())),
        *(Field(q.name, f"{i}. {q.text}", Kind.CHOICE, choices=tuple(Choice(v, l) for v, l in q.choices))
          for i, q in enumerate(QUIZ, start=1)),
    ),
    submit_label="Kirim jawaban",
    allow_handover=False,
)

register(OBSERVASI, PENETAPAN, KOORDINASI, PENYULUHAN, UMPAN_BALIK, KUIS)
