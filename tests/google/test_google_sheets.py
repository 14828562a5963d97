"""Google Sheets → CSV → the same validated loading as a CSV file."""

from __future__ import annotations

import csv
import io

from tests.support.fake_google import FakeGoogle

from bapas_sop.directory import STAFF_COLUMNS, Directory
from bapas_sop.google.sheets import SheetsReader, first_row_of, values_to_csv
from bapas_sop.settings import PROJECT_DIR
from bapas_sop.tables import Column

SHEET_ID = "1StaffSheetBapasJambi"


def staff_rows() -> list[list[str]]:
    """The demo staff directory as a sheet holds it: ragged rows (trailing empties dropped)."""
    with (PROJECT_DIR / "include" / "data" / "staff.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for row in rows:
        while row and row[-1] == "":
            row.pop()
    return rows


def test_staff_sheet_goes_through_the_directory_checks_and_reports_the_bad_row(
    fake: FakeGoogle, sheets: SheetsReader
) -> None:
    rows = staff_rows()
    bad = list(rows[4])
    bad[0], bad[2] = "199912312024011001", "bukan-email"  # row 6 of the sheet: a new person, bad email
    rows.insert(5, bad)
    fake.set_values(SHEET_ID, "Pegawai", rows)

    result = sheets.read_staff(SHEET_ID, "Pegawai!A1:K")

    assert not result.ok
    assert result.bad_rows == [6]
    (error,) = result.errors
    assert (error.row, error.column) == (6, "email")
    assert "Google Sheets 1StaffSheetBapasJambi" in result.source
    assert len(result.rows) == len(staff_rows()) - 1  # every good row kept
    (call,) = fake.requests
    assert call.path == f"/v4/spreadsheets/{SHEET_ID}/values/Pegawai!A1:K"
    assert call.param("valueRenderOption") == "FORMATTED_VALUE" and call.param("majorDimension") == "ROWS"


def test_a_good_staff_sheet_loads_into_the_directory(fake: FakeGoogle, sheets: SheetsReader) -> None:
    fake.set_values(SHEET_ID, "Data Pegawai", staff_rows())
    text = sheets.read_sheet_as_csv(SHEET_ID, "'Data Pegawai'")
    directory = Directory.load(io.StringIO(text))
    assert len(directory) == len(staff_rows()) - 1
    assert directory.one("kabapas").name == "Hendra Gunawan Siregar"


def test_row_numbers_stay_those_of_the_sheet_when_the_range_starts_lower(
    fake: FakeGoogle, sheets: SheetsReader
) -> None:
    rows = [["Daftar pegawai Bapas Jambi"], [], *staff_rows()]  # title row, blank row, then the table
    rows[5][5] = "gudang"  # sheet row 6: unknown section
    fake.set_values(SHEET_ID, "Pegawai", rows)
    text = sheets.read_sheet_as_csv(SHEET_ID, "Pegawai!A3:K")
    assert text.startswith("\n\nnip,nama,")
    result = sheets.load_table(SHEET_ID, "Pegawai!A3:K", STAFF_COLUMNS, table_label="daftar pegawai")
    assert [(e.row, e.column) for e in result.errors] == [(6, "seksi")]


def test_ragged_rows_are_padded_to_full_width(fake: FakeGoogle, sheets: SheetsReader) -> None:
    fake.set_values(SHEET_ID, "Klien", [["nama", "aktif", "catatan"], ["Andi", "ya"], ["Budi", "tidak", "pindah"], []])
    text = sheets.read_sheet_as_csv(SHEET_ID, "Klien")
    assert text == "nama,aktif,catatan\nAndi,ya,\nBudi,tidak,pindah\n"
    columns = (Column("nama", required=True), Column("aktif", kind="bool"), Column("catatan"))
    result = sheets.load_table(SHEET_ID, "Klien", columns, table_label="register klien")
    assert result.ok and result.rows["aktif"].tolist() == [True, False]


def test_helpers() -> None:
    assert values_to_csv([["a", "b,c"], ["1"]], first_row=2) == '\na,"b,c"\n1,\n'
    assert values_to_csv([]) == ""
    assert first_row_of("'Data ''Klien'''!B12:K40") == 12
    assert first_row_of("Pegawai") == 1 and first_row_of("A:K") == 1 and first_row_of("Pegawai!$A$3:$K") == 3
