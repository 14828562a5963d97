"""The forms of Tamu Ngopi (Tatap Muka Sharing Opini), the monthly opinion forum."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bapas_sop.forms.checks import named_check
from bapas_sop.forms.registry import register
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind
from bapas_sop.textid import WIB

#: How many action items the Kabapas can set from one forum (slots of the decision form).
MAX_ITEMS = 5

RSVP_CHOICES = (
    Choice("hadir", "Hadir"),
    Choice("tidak_hadir", "Tidak hadir"),
    Choice("diwakili", "Diwakili oleh orang lain"),
)
REPORT_CHOICES = (
    Choice("selesai", "Sudah selesai dilaksanakan"),
    Choice("berjalan", "Masih berjalan"),
)
TIME_PATTERN = r"([01]\d|2[0-3])[.:][0-5]\d"


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


USULAN_TOPIK = FormSpec(
    name="tamu_ngopi_usulan_topik",
    title="Usulan topik Tamu Ngopi",
    intro=(
        "Tamu Ngopi (Tatap Muka Sharing Opini) adalah forum bulanan untuk berbagi pendapat tentang layanan "
        "Bapas. Usulkan satu topik yang menurut Bapak/Ibu perlu dibahas. Tidak punya usulan? Abaikan saja "
        "permintaan ini."
    ),
    fields=(
        Field("topik", "Topik yang diusulkan", max_length=300,
              placeholder="mis. Jam layanan wajib lapor pada hari Sabtu"),
        Field("uraian", "Uraian singkat", Kind.LONG_TEXT, required=False, max_length=2000,
              help="Mengapa topik ini penting, atau contoh kejadian yang melatarbelakanginya."),
    ),
    submit_label="Kirim usulan",
    allow_handover=False,
)

AGENDA = FormSpec(
    name="tamu_ngopi_agenda",
    title="Persetujuan agenda Tamu Ngopi",
    intro=(
        "Setujui agenda dan daftar tamu forum bulan ini. Tindak lanjut bulan lalu yang belum selesai sudah "
        "masuk agenda dengan sendirinya; usulan topik yang disarankan sudah dicentang. Bila Bapak/Ibu "
        "berhalangan memimpin, tunjuk pegawai yang memimpin forum sebagai tuan rumah pengganti."
    ),
    fields=(
        Field("agenda", "Agenda forum", Kind.MULTI_CHOICE, choices_from="agenda_options", required=False),
        Field("tamu", "Tamu undangan (pemangku kepentingan)", Kind.MULTI_CHOICE, choices_from="tamu_options",
              required=False),
        Field("tanggal", "Tanggal forum", Kind.DATE),
        Field("jam", "Jam mulai (WIB)", max_length=5, pattern=TIME_PATTERN, pattern_message="tulis jam seperti 13.00.",
              placeholder="13.00"),
        Field("tempat", "Tempat", max_length=300),
        Field("tuan_rumah", "Tuan rumah forum", Kind.PERSON, choices_from="tuan_rumah_options"),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Setujui agenda",
    checks=(_forum_not_in_the_past,),
)

KEHADIRAN = FormSpec(
    name="tamu_ngopi_kehadiran",
    title="Konfirmasi kehadiran Tamu Ngopi",
    intro="Mohon konfirmasi kehadiran Bapak/Ibu pada forum Tamu Ngopi berikut. Undangan kalender ada di email undangan.",
    fields=(
        Field("kehadiran", "Kehadiran", Kind.CHOICE, choices=RSVP_CHOICES),
        Field("diwakili_oleh", "Diwakili oleh (nama dan jabatan)", max_length=200, required=False,
              required_if=("kehadiran", "diwakili"), placeholder="mis. Bripka Andi, penyidik Unit PPA"),
        Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=1000),
    ),
    submit_label="Kirim konfirmasi",
    allow_handover=False,
)

NOTULEN = FormSpec(
    name="tamu_ngopi_notulen",
    title="Daftar hadir dan notulen Tamu Ngopi",
    intro=(
        "Catat siapa yang hadir dan jalannya forum. Tuliskan usulan dan saran peserta satu per baris: "
        "Kepala Bapas memilih dari usulan itu mana yang menjadi tindak lanjut."
    ),
    fields=(
        Field("hadir", "Peserta yang hadir", Kind.MULTI_CHOICE, choices_from="peserta", required=False),
        Field("hadir_lain", "Peserta lain yang hadir", Kind.LONG_TEXT, required=False, max_length=2000,
              help="Yang hadir tanpa undangan atau mewakili orang lain, satu per baris."),
        Field("notulen", "Notulen (jalannya forum)", Kind.LONG_TEXT, max_length=8000),
        Field("usulan", "Usulan dan saran peserta", Kind.LONG_TEXT, required=False, max_length=4000,
              help="Satu usulan per baris."),
        Field("tautan_dokumentasi", "Tautan dokumentasi (foto/video)", Kind.FILE_LINK, required=False),
    ),
    submit_label="Kirim notulen",
)


def _item_fields(i: int) -> tuple[Field, ...]:
    return (
        Field(f"tindakan_{i}", f"Tindak lanjut {i}", required=False, max_length=300,
              help="Kosongkan bila usulan ini tidak dijadikan tindak lanjut." if i == 1 else ""),
        Field(f"pj_{i}", f"Penanggung jawab tindak lanjut {i}", Kind.PERSON, choices_from="pegawai_options",
              required=False),
        Field(f"tenggat_{i}", f"Tenggat tindak lanjut {i}", Kind.DATE, required=False),
    )


KEPUTUSAN = FormSpec(
    name="tamu_ngopi_keputusan",
    title="Keputusan tindak lanjut Tamu Ngopi",
    intro=(
        f"Usulan peserta forum sudah diisikan sebagai tindak lanjut (paling banyak {MAX_ITEMS}). Tetapkan "
        "penanggung jawab dan tenggat untuk usulan yang dijadikan tindak lanjut, ubah rumusannya bila perlu, "
        "dan kosongkan yang tidak diambil. Penanggung jawab akan diingatkan sampai melaporkan selesai."
    ),
    fields=(
        *(f for i in range(1, MAX_ITEMS + 1) for f in _item_fields(i)),
        Field("catatan", "Catatan Kepala Bapas", Kind.LONG_TEXT, required=False, max_length=2000),
    ),
    submit_label="Tetapkan tindak lanjut",
    checks=(_complete_items,),
)

LAPORAN_TINDAK_LANJUT = FormSpec(
    name="tamu_ngopi_laporan_tindak_lanjut",
    title="Laporan tindak lanjut Tamu Ngopi",
    intro=(
        "Laporkan perkembangan tindak lanjut berikut. Selama belum selesai, Anda akan diminta melapor lagi "
        "secara berkala; lewat tenggat, Kepala Bapas diberi tahu."
    ),
    fields=(
        Field("status", "Perkembangan", Kind.CHOICE, choices=REPORT_CHOICES),
        Field("keterangan", "Keterangan", Kind.LONG_TEXT, max_length=2000,
              help="Apa yang sudah dikerjakan, atau apa yang masih menghambat."),
        Field("tautan_bukti", "Tautan bukti (foto/dokumen)", Kind.FILE_LINK, required=False),
    ),
    submit_label="Kirim laporan",
)

register(USULAN_TOPIK, AGENDA, KEHADIRAN, NOTULEN, KEPUTUSAN, LAPORAN_TINDAK_LANJUT)
