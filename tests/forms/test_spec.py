"""``FormSpec.validate`` row by row: what a person may type into a form and what they get back.

One form with a field of each kind; every row changes one answer of an otherwise valid
submission and says what the field becomes (the typed value) or the Indonesian message the
person reads. Numbers are where Indonesian and English writing differ (``1.500,5`` against
``1,500.5``), so they have the most rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind

#: The PKs of a section, as a DAG puts them into the request's context (``choices_from``).
CONTEXT = {"klien": [{"value": "KL-BKD-001", "label": "Andi (PK Bambang)"},
                     {"value": "KL-BKD-002", "label": "Budi (PK Siti)"},
                     {"value": "KL-BKD-003", "label": "Citra (PK Siti)"}]}

SPEC = FormSpec(name="uji", title="Formulir uji", fields=(
    Field("jumlah", "Jumlah dicairkan", Kind.NUMBER, min_value=0, max_value=10_000_000),
    Field("nilai", "Nilai", Kind.NUMBER, required=False),
    Field("tanggal", "Tanggal kegiatan", Kind.DATE),
    Field("mulai", "Waktu mulai", Kind.DATETIME, required=False),
    Field("keputusan", "Keputusan", Kind.CHOICE, choices=(Choice("setuju", "Setuju"), Choice("revisi", "Revisi"))),
    Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, required_if=("keputusan", "revisi"), max_length=20),
    Field("hadir", "Klien yang hadir", Kind.MULTI_CHOICE, choices_from="klien"),
    Field("tambahan", "Klien tambahan", Kind.MULTI_CHOICE, choices_from="klien", required=False),
    Field("perjalanan", "Perjalanan dinas", Kind.YES_NO),
    Field("skor", "Skor", Kind.RATING, required=False),
    Field("email", "Email pemohon", Kind.EMAIL, required=False),
    Field("tautan", "Tautan dokumentasi", Kind.URL, required=False),
    Field("nomor", "Nomor surat", required=False, pattern=r"B/\d+/[IVX]+/\d{4}", pattern_message="format B/nomor/bulan romawi/tahun."),
))

#: A valid submission as the browser posts it (strings, lists for checkboxes).
VALID = {"jumlah": "750000", "tanggal": "2026-12-01", "keputusan": "setuju", "hadir": ["KL-BKD-001"],
         "perjalanan": "tidak"}


@dataclass(frozen=True)
class Row:
    """One answer typed into ``field`` (on top of :data:`VALID`) and what comes of it."""

    field: str
    typed: Any
    value: Any = None  # the typed value, when accepted
    error: str | None = None  # the whole message, when refused
    also: dict[str, Any] = field(default_factory=dict)  # other answers of the same submission

    def __str__(self) -> str:
        return f"{self.field}={self.typed!r}"



ROWS = [
    # --- numbers: plain digits, a decimal comma or point, spaces between groups
    Row("jumlah", "750000", 750000),
    Row("jumlah", " 750000 ", 750000),
    Row("jumlah", "1 500 000", 1500000),
    Row("nilai", "3,5", 3.5),
    Row("nilai", "3.5", 3.5),
    Row("nilai", "2,0", 2),
    Row("nilai", "-7", -7),
    Row("jumlah", "1.250", 1250),  # a dot before three digits groups thousands, as Indonesians write
    Row("nilai", "1.25", 1.25),  # any other dot is a decimal point
    # --- grouped thousands, the rupiah sign; refused: mixed marks, words, bounds
    Row("jumlah", "1.500.000", 1500000),  # issue 9: how Indonesians write Rp 1.500.000
    Row("jumlah", "1.500,5", 1500.5),
    Row("jumlah", "1,500.5", error="Jumlah dicairkan: harus berupa angka."),
    Row("jumlah", "Rp 1.500.000", 1500000),
    Row("jumlah", "Rp750000", 750000),
    Row("jumlah", "1.500.000,50", 1500000.5),
    Row("nilai", "nan", error="Nilai: harus berupa angka."),
    Row("nilai", "inf", error="Nilai: harus berupa angka."),
    Row("jumlah", "Rp 15.000.000", error="Jumlah dicairkan: tidak boleh lebih dari 10000000."),
    Row("jumlah", "tujuh ratus ribu", error="Jumlah dicairkan: harus berupa angka."),
    Row("jumlah", "-1", error="Jumlah dicairkan: tidak boleh kurang dari 0."),
    Row("jumlah", "10000001", error="Jumlah dicairkan: tidak boleh lebih dari 10000000."),
    Row("jumlah", "", error="Jumlah dicairkan wajib diisi."),
    Row("jumlah", "   ", error="Jumlah dicairkan wajib diisi."),
    Row("nilai", "", None),
    # --- dates: ISO as the date input sends it; what people type otherwise is refused
    Row("tanggal", "2026-12-31", "2026-12-31"),
    Row("tanggal", "2028-02-29", "2028-02-29"),
    Row("tanggal", "31/12/2026", error="Tanggal kegiatan: tanggal tidak valid (format: TTTT-BB-HH, mis. 2026-12-01)."),
    Row("tanggal", "31-12-2026", error="Tanggal kegiatan: tanggal tidak valid (format: TTTT-BB-HH, mis. 2026-12-01)."),
    Row("tanggal", "2027-02-29", error="Tanggal kegiatan: tanggal tidak valid (format: TTTT-BB-HH, mis. 2026-12-01)."),
    Row("tanggal", "1 Desember 2026", error="Tanggal kegiatan: tanggal tidak valid (format: TTTT-BB-HH, mis. 2026-12-01)."),
    Row("tanggal", "", error="Tanggal kegiatan wajib diisi."),
    Row("mulai", "2026-12-01T09:30", "2026-12-01T09:30:00"),
    Row("mulai", "2026-12-01 09:30:45", "2026-12-01T09:30:00"),  # seconds dropped
    Row("mulai", "besok jam 9", error="Waktu mulai: tanggal dan jam tidak valid (mis. 2026-12-01 09:30)."),
    # --- required_if: notes only when the decision is "revisi"
    Row("catatan", "", None, also={"keputusan": "setuju"}),
    Row("catatan", "", error="Catatan wajib diisi.", also={"keputusan": "revisi"}),
    Row("catatan", "Perbaiki judul", "Perbaiki judul", also={"keputusan": "revisi"}),
    Row("catatan", "Perbaiki judul dan teks", error="Catatan: terlalu panjang (23 karakter, paling banyak 20)."),
    # --- choices
    Row("keputusan", "revisi", "revisi", also={"catatan": "Judul"}),
    Row("keputusan", "Setuju", error="Keputusan: pilihan tidak dikenal, silakan pilih salah satu yang tersedia."),
    Row("keputusan", "", error="Keputusan wajib diisi."),
    Row("perjalanan", "ya", True),
    Row("perjalanan", "tidak", False),
    Row("perjalanan", "iya", error="Perjalanan dinas: pilihan tidak dikenal, silakan pilih salah satu yang tersedia."),
    Row("skor", "4", 4),
    Row("skor", "6", error="Skor: pilihan tidak dikenal, silakan pilih salah satu yang tersedia."),
    # --- multi-choice: from the context, in the order ticked, each once
    Row("hadir", ["KL-BKD-003", "KL-BKD-001"], ["KL-BKD-003", "KL-BKD-001"]),
    Row("hadir", ["KL-BKD-002", "KL-BKD-002"], ["KL-BKD-002"]),
    Row("hadir", "KL-BKD-002", ["KL-BKD-002"]),  # one box ticked: a single value
    Row("hadir", ["KL-BKD-001", "KL-BKD-999"], error="Klien yang hadir: ada pilihan yang tidak dikenal."),
    Row("hadir", [], error="Klien yang hadir wajib diisi."),
    Row("hadir", ["", " "], error="Klien yang hadir wajib diisi."),
    Row("tambahan", [], []),
    # --- text with a shape
    Row("email", "budi@polresta-jambi.example", "budi@polresta-jambi.example"),
    Row("email", "polisi@", error="Email pemohon: alamat email tidak valid."),
    Row("email", "a,b@c.example", error="Email pemohon: alamat email tidak valid."),
    Row("tautan", "https://drive.example/foto", "https://drive.example/foto"),
    Row("tautan", "drive.example/foto", error="Tautan dokumentasi: tautan harus diawali http:// atau https://."),
    Row("nomor", "B/123/XI/2026", "B/123/XI/2026"),
    Row("nomor", "123/XI/2026", error="Nomor surat: format B/nomor/bulan romawi/tahun."),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_a_typed_answer_becomes_a_value_or_an_indonesian_message(row: Row) -> None:
    result = SPEC.validate({**VALID, **row.also, row.field: row.typed}, CONTEXT)
    if row.error is None:
        assert result.errors == {}, result.errors
        assert result.values[row.field] == row.value
        assert type(result.values[row.field]) is type(row.value)  # 750000 stays an int, 3,5 a float
    else:
        assert result.errors == {row.field: row.error}
        assert row.field not in result.values


def test_after_an_error_every_field_keeps_what_was_typed() -> None:
    """The page comes back with the errors and exactly what the person typed, even the wrong parts."""
    typed = {**VALID, "jumlah": " Rp 15.000.000 ", "tanggal": "31/12/2026", "catatan": "  Segera  ",
             "hadir": ["KL-BKD-002", "KL-BKD-999"], "email": "polisi@"}
    result = SPEC.validate(typed, CONTEXT)
    assert set(result.errors) == {"jumlah", "tanggal", "hadir", "email"}
    assert not result.ok
    assert result.kept["jumlah"] == "Rp 15.000.000"  # trimmed, otherwise as typed
    assert result.kept["tanggal"] == "31/12/2026"
    assert result.kept["catatan"] == "Segera"
    assert result.kept["hadir"] == ["KL-BKD-002", "KL-BKD-999"]
    assert result.kept["email"] == "polisi@"
    assert result.kept["keputusan"] == "setuju" and result.kept["nilai"] == ""
    assert result.values["keputusan"] == "setuju"  # the valid ones are typed already


def test_cross_field_checks_run_only_when_every_field_is_valid() -> None:
    def trip_needs_a_link(values: dict[str, Any]) -> dict[str, str]:
        return {"tautan": "Tautan bukti wajib untuk perjalanan dinas."} if values["perjalanan"] and not values["tautan"] else {}

    spec = FormSpec(name=SPEC.name, title=SPEC.title, fields=SPEC.fields, checks=(trip_needs_a_link,))
    assert spec.validate({**VALID, "perjalanan": "ya"}, CONTEXT).errors == {"tautan": "Tautan bukti wajib untuk perjalanan dinas."}
    assert spec.validate({**VALID, "perjalanan": "ya", "jumlah": "x"}, CONTEXT).errors == {
        "jumlah": "Jumlah dicairkan: harus berupa angka."}
    assert spec.validate({**VALID, "perjalanan": "ya", "tautan": "https://drive.example/bukti"}, CONTEXT).ok


def test_the_valid_submission_of_the_table_is_valid() -> None:
    result = SPEC.validate(VALID, CONTEXT)
    assert result.ok, result.errors
    assert result.values == {"jumlah": 750000, "nilai": None, "tanggal": "2026-12-01", "mulai": None,
                             "keputusan": "setuju", "catatan": None, "hadir": ["KL-BKD-001"], "tambahan": [],
                             "perjalanan": False, "skor": None, "email": None, "tautan": None, "nomor": None}
