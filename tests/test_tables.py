"""The validated CSV loader: what people's spreadsheets send us, and what they read back."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from bapas_sop.tables import Column, LoadResult, RowError, TableError, load_table

COLUMNS = (
    Column("nip", required=True, kind="nip", unique=True),
    Column("nama", required=True),
    Column("email", required=True, kind="email", unique=True),
    Column("lahir", kind="date"),
    Column("aktif", kind="bool", default=True),
    Column("jumlah", kind="int"),
    Column("seksi", kind="choice", choices=("bka", "bkd")),
    Column("peran", kind="choice", choices=("pk", "apk", "ulp"), separator="|"),
)
HEADER = "nip,nama,email,lahir,aktif,jumlah,seksi,peran"
GOOD_1 = "198607212010122003,Rina Marlina,rina@bapas.example,1986-07-21,ya,3,bka,pk"
GOOD_2 = "198903052014031001,Dedi Kurniawan,dedi@bapas.example,05/03/1989,tidak,0,BKD,PK|ulp"


def load(text: str, columns: tuple[Column, ...] = COLUMNS) -> LoadResult:
    return load_table(io.StringIO(text), columns, table_label="daftar uji")


def messages(result: LoadResult) -> list[str]:
    return [str(e) for e in result.errors]


def test_valid_rows_are_typed_and_indexed_by_spreadsheet_row() -> None:
    result = load("\n".join([HEADER, GOOD_1, GOOD_2]) + "\n")

    assert result.ok and result.errors == [] and result.warnings == []
    rows = result.rows
    assert list(rows.columns) == [c.name for c in COLUMNS]
    assert list(rows.index) == [2, 3] and rows.index.name == "row"
    rina, dedi = rows.loc[2], rows.loc[3]
    assert rina["lahir"] == date(1986, 7, 21) and dedi["lahir"] == date(1989, 3, 5)
    assert rina["aktif"] is True and dedi["aktif"] is False
    assert rina["jumlah"] == 3 and isinstance(rina["jumlah"], int)
    assert dedi["seksi"] == "bkd", "choices match case-insensitively and give the canonical key"
    assert dedi["peran"] == ("pk", "ulp") and rina["peran"] == ("pk",)


def test_empty_optional_cells_take_defaults() -> None:
    result = load(f"{HEADER}\n198607212010122003,Rina Marlina,rina@bapas.example,,,,,\n")

    row = result.rows.loc[2]
    assert row["lahir"] is None and row["jumlah"] is None and row["seksi"] is None
    assert row["aktif"] is True, "the column's default"
    assert row["peran"] == (), "an empty list column is an empty tuple"


def test_bad_cells_are_reported_with_spreadsheet_row_and_valid_rows_are_kept() -> None:
    text = "\n".join(
        [
            HEADER,
            GOOD_1,
            ",Tanpa NIP,tanpa.nip@bapas.example,,,,,",  # row 3
            "199209182017122004,Putri,budi@,,,,,",  # row 4
            "199209182017122004,,putri@bapas.example,31/02/2024,mungkin,dua,bkx,pk|kepala",  # row 5
            GOOD_2,  # row 6
        ]
    )
    result = load(text)

    assert not result.ok
    assert list(result.rows.index) == [2, 6], "the good rows survive the bad ones"
    got = messages(result)
    assert "Baris 3, kolom nip: wajib diisi." in got
    assert "Baris 4, kolom email: alamat email tidak valid: 'budi@'" in got
    assert "Baris 5, kolom nama: wajib diisi." in got
    assert any(m.startswith("Baris 5, kolom lahir: tanggal tidak dikenali: '31/02/2024'") for m in got)
    assert "Baris 5, kolom aktif: isi dengan 'ya' atau 'tidak', bukan 'mungkin'." in got
    assert "Baris 5, kolom jumlah: harus bilangan bulat, tertulis 'dua'." in got
    assert any(m.startswith("Baris 5, kolom seksi: 'bkx' bukan pilihan yang dikenal") for m in got)
    assert any(m.startswith("Baris 5, kolom peran: 'kepala' bukan pilihan yang dikenal") for m in got)
    assert result.bad_rows == [3, 4, 5]
    assert result.raw.loc[4, "email"] == "budi@", "what the person typed is kept"


def test_duplicate_in_unique_column_names_both_rows() -> None:
    text = "\n".join([HEADER, GOOD_1, GOOD_2, "198607212010122003,Rina Lagi,RINA@bapas.example,,,,,"])
    result = load(text)

    assert list(result.rows.index) == [2, 3]
    assert messages(result) == [
        "Baris 4, kolom nip: '198607212010122003' sudah dipakai di baris 2; setiap nilai di kolom ini harus unik.",
        "Baris 4, kolom email: 'rina@bapas.example' sudah dipakai di baris 2; setiap nilai di kolom ini harus unik.",
    ]


def test_raise_if_errors_lists_every_bad_row_not_just_the_first() -> None:
    text = "\n".join([HEADER, ",A,a@bapas.example,,,,,", GOOD_1, ",B,b@bapas.example,,,,,", "1,C,c@x,,,,,"])
    result = load(text)

    with pytest.raises(TableError) as info:
        result.raise_if_errors()
    message = str(info.value)
    assert message.startswith("Daftar uji belum bisa dipakai: 4 kesalahan di 3 baris.")
    for row in (2, 4, 5):
        assert f"- Baris {row}, kolom" in message
    assert len(info.value.errors) == 4
    assert load("\n".join([HEADER, GOOD_1])).raise_if_errors().ok, "no errors: returns itself"


def test_missing_file_is_one_clear_error() -> None:
    result = load_table("/nonexistent/staff.csv", COLUMNS, table_label="daftar pegawai")

    assert result.rows.empty
    assert messages(result) == ["Berkas daftar pegawai tidak ditemukan: /nonexistent/staff.csv"]
    with pytest.raises(TableError, match="tidak ditemukan: /nonexistent/staff.csv"):
        result.raise_if_errors()


def test_empty_file_is_reported() -> None:
    result = load("\n\n")

    assert messages(result) == ["Berkas daftar uji kosong: tidak ada baris kepala (nama kolom)."]


def test_missing_columns_are_named_in_one_message() -> None:
    result = load("nama,lahir\nRina,1986-07-21\n")

    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert "Kolom wajib tidak ada di daftar uji: nip, email." in message
    assert "Kolom yang ditemukan: nama, lahir." in message
    assert result.rows.empty, "no row can be complete without a required column"
    assert "Kolom tidak ada, dianggap kosong: aktif, jumlah, seksi, peran." in result.warnings


def test_missing_optional_column_is_a_warning_and_defaults_apply() -> None:
    result = load("nip,nama,email\n198607212010122003,Rina,rina@bapas.example\n")

    assert result.ok
    assert result.rows.loc[2, "aktif"] is True
    assert any("dianggap kosong" in w and "lahir" in w for w in result.warnings)


def test_unknown_extra_columns_are_ignored_with_a_warning() -> None:
    result = load(f"{HEADER},catatan,Foto\n{GOOD_1},apa saja,x.jpg\n")

    assert result.ok
    assert "catatan" not in result.rows.columns
    assert "Kolom tidak dikenal, diabaikan: catatan, foto." in result.warnings


def test_headers_match_case_spaces_and_hyphens() -> None:
    columns = (Column("atasan_nip", kind="nip"), Column("nama", required=True))
    result = load("Atasan NIP, NAMA \n197408121999031002,Rina\n", columns)

    assert result.ok and result.rows.loc[2, "atasan_nip"] == "197408121999031002"


def test_duplicated_header_is_an_error() -> None:
    result = load("nip,nama,email,nama\n198607212010122003,A,a@bapas.example,B\n")

    assert "Baris 1: nama kolom 'nama' muncul lebih dari sekali di baris kepala." in messages(result)


def test_semicolon_separated_file_as_excel_in_indonesian_locale_saves_it() -> None:
    text = "\n".join(
        [
            "nip;nama;email;lahir;aktif;jumlah;seksi;peran",
            "198607212010122003;Marlina, Rina;rina@bapas.example;21/07/1986;YA;3;bka;pk",
            "198903052014031001;Dedi;dedi@;;;;;",
        ]
    )
    result = load(text)

    assert list(result.rows.index) == [2]
    assert result.rows.loc[2, "nama"] == "Marlina, Rina", "a comma inside a cell is just text"
    assert messages(result) == ["Baris 3, kolom email: alamat email tidak valid: 'dedi@'"]


def test_tab_separated_utf16_as_excel_unicode_text() -> None:
    text = HEADER.replace(",", "\t") + "\r\n" + GOOD_1.replace(",", "\t") + "\r\n"
    result = load_table(io.BytesIO(text.encode("utf-16")), COLUMNS, table_label="daftar uji")

    assert result.ok and list(result.rows.index) == [2]


def test_utf8_bom_and_windows_1252(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(("\ufeff" + HEADER + "\n" + GOOD_1.replace("Rina Marlina", "Rina Marlína") + "\n").encode("utf-8"))
    cp = tmp_path / "cp.csv"
    cp.write_bytes((HEADER + "\n" + GOOD_1.replace("Rina Marlina", "Rina Marlína") + "\n").encode("cp1252"))

    for path in (bom, cp):
        result = load_table(path, COLUMNS, table_label="daftar uji")
        assert result.ok, messages(result)
        assert result.rows.loc[2, "nama"] == "Rina Marlína"
        assert result.source == str(path)
    assert load_table(bom, COLUMNS, table_label="daftar uji").warnings == []
    assert any("Windows-1252" in w for w in load_table(cp, COLUMNS, table_label="daftar uji").warnings)


def test_row_numbers_count_blank_rows_and_multiline_cells() -> None:
    text = "\n".join(
        [
            HEADER,
            '198607212010122003,"Rina\nMarlina",rina@bapas.example,,,,,',  # row 2, two lines in the file
            ",,,,,,,",  # row 3: an empty spreadsheet row
            "",  # row 4
            "198903052014031001,Dedi,dedi@,,,,,",  # row 5
        ]
    )
    result = load(text)

    assert list(result.rows.index) == [2]
    assert messages(result) == ["Baris 5, kolom email: alamat email tidak valid: 'dedi@'"]


def test_row_with_too_many_cells_is_refused_whole() -> None:
    result = load(f"{HEADER}\n{GOOD_1},lebih,lagi\n{GOOD_2},,\n")

    assert list(result.rows.index) == [3], "trailing empty cells are harmless"
    assert len(result.errors) == 1 and result.errors[0].row == 2 and result.errors[0].column is None
    assert "berisi 10 sel, padahal baris kepala hanya punya 8 kolom" in result.errors[0].message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("19860721 201012 2 003", "198607212010122003"),
        (" 198607212010122003\u00a0", "198607212010122003"),
    ],
)
def test_nip_accepts_spaces(raw: str, expected: str) -> None:
    result = load(f'nip,nama,email\n"{raw}",Rina,rina@bapas.example\n')

    assert result.ok and result.rows.loc[2, "nip"] == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("1.98607E+17", "sudah diubah spreadsheet menjadi angka"),
        ("19860721201012200", "NIP harus 18 angka tanpa huruf, tertulis '19860721201012200' (17 angka)."),
        ("1986072120101220AB", "NIP harus 18 angka"),
        ("198613212010122003", "8 angka pertama harus tanggal lahir"),
        ("198607212010132003", "tahun dan bulan pengangkatan"),
        ("198607212010123003", "harus 1 (laki-laki) atau 2 (perempuan)"),
    ],
)
def test_nip_errors_say_what_is_wrong(raw: str, fragment: str) -> None:
    result = load(f"nip,nama,email\n{raw},Rina,rina@bapas.example\n")

    assert len(result.errors) == 1 and result.errors[0].column == "nip"
    assert fragment in result.errors[0].message


@pytest.mark.parametrize(
    "raw",
    ["2024-03-05", "05/03/2024", "5-3-2024", "05.03.2024", "5 Maret 2024", "5 Mar 2024", "2024-03-05 00:00:00"],
)
def test_dates_as_spreadsheets_write_them(raw: str) -> None:
    result = load(f"nip,nama,email,lahir\n198607212010122003,Rina,rina@bapas.example,{raw}\n")

    assert result.ok, messages(result)
    assert result.rows.loc[2, "lahir"] == date(2024, 3, 5)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("Ya", True), ("y", True), ("TRUE", True), ("1", True)]
    + [("Tidak", False), ("t", False), ("SALAH", False), ("0", False)],
)
def test_yes_no_words(raw: str, value: bool) -> None:
    result = load(f"nip,nama,email,aktif\n198607212010122003,Rina,rina@bapas.example,{raw}\n")

    assert result.rows.loc[2, "aktif"] is value


def test_int_accepts_spreadsheet_float_artefact() -> None:
    result = load("nip,nama,email,jumlah\n198607212010122003,Rina,rina@bapas.example,12.0\n")

    assert result.rows.loc[2, "jumlah"] == 12


def test_row_error_text() -> None:
    error = RowError(4, "email", "alamat email tidak valid: 'budi@'")
    assert str(error) == "Baris 4, kolom email: alamat email tidak valid: 'budi@'"
    assert str(RowError(7, None, "berisi 3 sel.")) == "Baris 7: berisi 3 sel."
    assert str(RowError(None, None, "berkas kosong.")) == "Berkas kosong."


def test_add_errors_drops_those_rows() -> None:
    result = load("\n".join([HEADER, GOOD_1, GOOD_2]))
    result.add_errors([RowError(3, "peran", "contoh kesalahan lintas baris.")])

    assert list(result.rows.index) == [2] and result.bad_rows == [3]


def test_column_spec_mistakes_fail_early() -> None:
    with pytest.raises(ValueError):
        Column("x", kind="choice")
    with pytest.raises(ValueError):
        Column("x", kind="float")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Column("x", choices=("a",))
    with pytest.raises(ValueError):
        load_table(io.StringIO("x\n1\n"), (Column("x"), Column("X")), table_label="t")
