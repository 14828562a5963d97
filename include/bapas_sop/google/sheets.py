"""Google Sheets as a source of the tables people keep: the same validation as a CSV file.

In production the staff directory and the client register live in Google Sheets, edited by
the office. Rather than a second loader with its own rules, a sheet is read with one
``spreadsheets.values.get`` (as *formatted* values: what the person sees, so a date reads
``12/03/2026`` and a NIP keeps its digits as typed) and turned into CSV text, which goes
through :func:`bapas_sop.tables.load_table` like any exported file. Errors then name the
row number the person sees in the sheet: when the range starts below row 1, blank lines are
put in front so that the numbering still matches.

Usage, e.g. for the staff directory (the sheet shared with the service account as viewer)::

    reader = SheetsReader.from_connection()
    result = reader.read_staff(spreadsheet_id, "Pegawai!A1:K")   # LoadResult, all checks
    directory = Directory.load(io.StringIO(reader.read_sheet_as_csv(spreadsheet_id, "Pegawai")))

and for any other table (client register, schools): ``reader.load_table(spreadsheet_id,
range_, COLUMNS, table_label="register klien")``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from bapas_sop.google.calls import ApiCaller, RetryPolicy
from bapas_sop.google.credentials import SHEETS_NEEDS, GoogleClient, GoogleConnection
from bapas_sop.tables import Column, LoadResult, load_table

_A1_START = re.compile(r"^\$?[A-Za-z]*\$?(\d+)")


class _NamedText(io.StringIO):
    """CSV text with a ``name``: :func:`load_table` shows it as the source in every message."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)
        self.name = name


def values_to_csv(values: Sequence[Sequence[Any]], *, first_row: int = 1) -> str:
    """Rows as the Sheets API returns them (ragged: trailing empty cells left out) → CSV.

    Every row is padded to the widest row, so an empty trailing column is still a column.
    ``first_row`` > 1 adds blank lines in front to keep spreadsheet row numbers.
    """
    width = max((len(row) for row in values), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for _ in range(max(first_row - 1, 0)):
        out.write("\n")
    for row in values:
        cells = ["" if cell is None else str(cell) for cell in row]
        writer.writerow(cells + [""] * (width - len(cells)))
    return out.getvalue()


def first_row_of(a1_range: str) -> int:
    """The first row number of an A1 range such as ``'Data Klien'!B3:K40`` (1 when none given)."""
    cells = a1_range.rsplit("!", 1)[-1] if "!" in a1_range else a1_range
    match = _A1_START.match(cells.strip())
    return int(match.group(1)) if match else 1


class SheetsReader(GoogleClient):
    """Reads ranges of spreadsheets for validated loading; one request per read."""

    API, VERSION, NEEDS, PURPOSE = "sheets", "v4", SHEETS_NEEDS, "Google Sheets"

    def __init__(self, service: Any, *, retry: RetryPolicy | None = None, conn_id: str | None = None) -> None:
        self._values = service.spreadsheets().values()
        self.caller = ApiCaller(retry, conn_id=conn_id)

    @classmethod
    def api_key_ok(cls, conn: GoogleConnection) -> bool:
        """An API key reads a sheet shared as "anyone with the link", when no account is given."""
        return not conn.has_oauth

    def read_values(self, spreadsheet_id: str, range_: str) -> tuple[str, list[list[Any]]]:
        """The range as Google reports it (e.g. ``Pegawai!A1:K20``) and its rows of formatted values."""
        reply = self.caller.execute(
            self._values.get(
                spreadsheetId=spreadsheet_id,
                range=range_,
                majorDimension="ROWS",
                valueRenderOption="FORMATTED_VALUE",
            ),
            operation="sheets.spreadsheets.values.get",
        )
        return str(reply.get("range") or range_), list(reply.get("values") or [])

    def read_sheet_as_csv(self, spreadsheet_id: str, range_: str) -> str:
        """CSV text of the range, header row first, for :func:`bapas_sop.tables.load_table`.

        Leading blank lines stand for the rows above the range, so that row numbers in
        error messages are the sheet's own.
        """
        actual, values = self.read_values(spreadsheet_id, range_)
        return values_to_csv(values, first_row=first_row_of(actual))

    def source_name(self, spreadsheet_id: str, range_: str) -> str:
        return f"Google Sheets {spreadsheet_id}, {range_}"

    def load_table(
        self,
        spreadsheet_id: str,
        range_: str,
        columns: Sequence[Column],
        *,
        table_label: str,
    ) -> LoadResult:
        """Read the range and check it exactly like a CSV file of the same table."""
        text = self.read_sheet_as_csv(spreadsheet_id, range_)
        return load_table(_NamedText(text, self.source_name(spreadsheet_id, range_)), columns, table_label=table_label)

    def read_staff(self, spreadsheet_id: str, range_: str) -> LoadResult:
        """The staff directory from a sheet, with the directory's cross-row checks as well."""
        from bapas_sop.directory import read_staff

        text = self.read_sheet_as_csv(spreadsheet_id, range_)
        return read_staff(_NamedText(text, self.source_name(spreadsheet_id, range_)))
