"""Validated loading of the CSV tables that people keep in spreadsheets.

The staff directory, the client register, the list of schools and the attendance exports are
all edited by office staff in Excel or Google Sheets and saved as CSV. Such files arrive with
a byte-order mark, in Windows-1252, separated by ``;`` (Excel in the Indonesian locale uses the
comma as decimal mark), with NIPs mangled into numbers and stray spaces. This module reads
them once, checks every cell against a small column spec and reports *every* problem with the
row number the person sees in their spreadsheet (the header is row 1), in Bahasa Indonesia,
so that one round of corrections fixes the file.

Valid rows are always returned, also when other rows are bad: the caller decides whether a
partial table is usable (a report can be) or not (the staff directory is not).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal, get_args

import pandas as pd

from bapas_sop.email_address import EmailAddressError, valid_email

log = logging.getLogger(__name__)

Kind = Literal["text", "email", "nip", "date", "bool", "choice", "int"]
KINDS: tuple[str, ...] = get_args(Kind)

#: Name of the index of :attr:`LoadResult.rows`: the spreadsheet row number of each row.
ROW_INDEX = "row"

_SEPARATORS = (",", ";", "\t")
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL_RE = re.compile(rf"[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+")
_EXCEL_NUMBER_RE = re.compile(r"\d(?:[.,]\d+)?[eE]\+?\d+")
_INT_RE = re.compile(r"[+-]?\d+(?:[.,]0+)?")

_TRUE_WORDS = frozenset({"ya", "y", "yes", "true", "benar", "1", "aktif", "x"})
_FALSE_WORDS = frozenset({"tidak", "tdk", "t", "no", "n", "false", "salah", "0", "bukan"})

_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "november": 11, "nov": 11, "nop": 11, "desember": 12, "des": 12,
}
_NUMERIC_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


@dataclass(frozen=True)
class Column:
    """What one column of a table must hold.

    ``name`` is the header as written in the CSV (matched case-insensitively, spaces and
    hyphens count as ``_``). ``separator`` makes a cell a list (e.g. roles ``pk|ulp``): each
    item is checked and the value becomes a tuple. ``default`` is used for an empty cell of
    an optional column (a list column defaults to ``()``).
    """

    name: str
    required: bool = False
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    unique: bool = False
    separator: str | None = None
    default: Any = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}; use one of {KINDS}")
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"column {self.name!r}: kind 'choice' needs choices")
        if self.choices and self.kind != "choice":
            raise ValueError(f"column {self.name!r}: choices only apply to kind 'choice'")
        if self.unique and self.separator:
            raise ValueError(f"column {self.name!r}: a list column cannot be unique")

    @property
    def key(self) -> str:
        """The normalised header this column matches."""
        return normalize_header(self.name)


@dataclass(frozen=True)
class RowError:
    """One problem, located as a person finds it in their spreadsheet.

    ``row`` is the spreadsheet row (header = 1) or None for a problem of the whole file;
    ``column`` is None for a problem of the whole row.
    """

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Baris {self.row}")
        if self.column is not None:
            where.append(f"kolom {self.column}")
        if not where:
            return _capitalize(self.message)
        return f"{', '.join(where)}: {self.message}"


class TableError(ValueError):
    """A table that cannot be used as it is; the message lists every problem found."""

    def __init__(self, table_label: str, source: str, errors: Sequence[RowError]) -> None:
        self.table_label = table_label
        self.source = source
        self.errors = list(errors)
        super().__init__(format_errors(table_label, source, self.errors))


@dataclass
class LoadResult:
    """The outcome of :func:`load_table`.

    ``rows`` holds only the valid rows, indexed by spreadsheet row number (index name
    ``"row"``), one column per spec column in spec order; values are plain Python objects
    (``str``, ``datetime.date``, ``bool``, ``int``, ``tuple`` for list columns) or None.
    ``raw`` holds every non-empty data row as the trimmed text typed, valid or not, so that
    nothing a person wrote is lost (e.g. to show it back next to the error).
    """

    rows: pd.DataFrame
    errors: list[RowError]
    warnings: list[str] = field(default_factory=list)
    table_label: str = "tabel"
    source: str = ""
    raw: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[int]:
        """Spreadsheet row numbers that have at least one error, ascending."""
        return sorted({e.row for e in self.errors if e.row is not None})

    def raise_if_errors(self) -> LoadResult:
        """Raise :class:`TableError` listing all errors; return self when there are none."""
        if self.errors:
            raise TableError(self.table_label, self.source, self.errors)
        return self

    def add_errors(self, errors: Iterable[RowError]) -> None:
        """Add errors found by a caller's own (e.g. cross-row) checks and drop those rows."""
        new = list(errors)
        if not new:
            return
        self.errors = sorted([*self.errors, *new], key=_error_order)
        bad = {e.row for e in new if e.row is not None}
        self.rows = self.rows[~self.rows.index.isin(bad)]


def format_errors(table_label: str, source: str, errors: Sequence[RowError]) -> str:
    """The message a person reads: what is wrong, where, all of it at once."""
    origin = f" ({source})" if source else ""
    rows = {e.row for e in errors if e.row is not None}
    scope = f" di {len(rows)} baris" if rows else ""
    head = (
        f"{_capitalize(table_label)}{origin} belum bisa dipakai: "
        f"{len(errors)} kesalahan{scope}. {'Perbaiki semuanya' if len(errors) > 1 else 'Perbaiki'}, lalu muat ulang."
    )
    return "\n".join([head, *(f"- {e}" for e in errors)])


def normalize_header(name: str) -> str:
    """Header cell → column key: trimmed, lower case, spaces and hyphens as ``_``."""
    cleaned = _strip(name).lower()
    return re.sub(r"[\s\-]+", "_", cleaned)


def load_table(
    path_or_buffer: str | os.PathLike[str] | IO[str] | IO[bytes],
    columns: Sequence[Column],
    *,
    table_label: str,
) -> LoadResult:
    """Read a CSV exported from a spreadsheet and check it against ``columns``.

    ``table_label`` names the table in messages, as an Indonesian noun phrase (e.g.
    ``"daftar pegawai"``). Never raises for bad content: a missing file, a bad header or bad
    cells all become :class:`RowError` entries; call :meth:`LoadResult.raise_if_errors` to
    refuse a table with errors.
    """
    keys = [c.key for c in columns]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate column names in spec: {keys}")
    source, text, read_error, warnings = _read_text(path_or_buffer, table_label)
    if read_error is not None:
        return _result([], {}, columns, [read_error], warnings, table_label, source)

    separator = _detect_separator(text, keys)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    header_index = next((i for i, rec in enumerate(records) if not _is_blank(rec)), None)
    if header_index is None:
        error = RowError(None, None, f"berkas {table_label} kosong: tidak ada baris kepala (nama kolom).")
        return _result([], {}, columns, [error], warnings, table_label, source)

    header = [normalize_header(h) for h in records[header_index]]
    header_errors, positions = _match_header(header, columns, header_index + 1, table_label, warnings)
    errors: list[RowError] = list(header_errors)
    missing_required = any(c.required and c.key not in positions for c in columns)

    raw_rows: dict[int, dict[str, str]] = {}
    parsed: dict[int, dict[str, Any]] = {}
    for index in range(header_index + 1, len(records)):
        record = records[index]
        if _is_blank(record):
            continue  # empty spreadsheet rows (",,,,") are padding, not data
        row_number = index + 1
        if len(record) > len(header) and not _is_blank(record[len(header):]):
            errors.append(
                RowError(
                    row_number,
                    None,
                    f"berisi {len(record)} sel, padahal baris kepala hanya punya {len(header)} kolom; "
                    "periksa pemisah (koma atau titik koma) dan tanda kutip di baris ini.",
                )
            )
            raw_rows[row_number] = {c.name: _cell(record, positions.get(c.key)) for c in columns}
            continue
        raw = {c.name: _cell(record, positions.get(c.key)) for c in columns}
        raw_rows[row_number] = raw
        values: dict[str, Any] = {}
        row_ok = True
        for column in columns:
            if column.key not in positions:
                values[column.name] = _empty_value(column)
                continue
            try:
                values[column.name] = _parse_cell(raw[column.name], column)
            except _Invalid as exc:
                errors.append(RowError(row_number, column.name, str(exc)))
                row_ok = False
        if row_ok:
            parsed[row_number] = values

    errors.extend(_check_unique(columns, parsed, positions))
    valid = {} if missing_required else parsed
    return _result(raw_rows, valid, columns, errors, warnings, table_label, source)


# --- reading -----------------------------------------------------------------------------


class _Invalid(ValueError):
    """A cell that does not hold what its column needs; the text is the Indonesian message."""


def _read_text(
    path_or_buffer: str | os.PathLike[str] | IO[str] | IO[bytes], table_label: str
) -> tuple[str, str, RowError | None, list[str]]:
    """Get the file's text whatever its encoding; a missing file is a reported error."""
    warnings: list[str] = []
    if isinstance(path_or_buffer, (str, os.PathLike)):
        path = Path(path_or_buffer)
        source = str(path)
        try:
            data: str | bytes = path.read_bytes()
        except FileNotFoundError:
            return source, "", RowError(None, None, f"berkas {table_label} tidak ditemukan: {path}"), warnings
        except IsADirectoryError:
            return source, "", RowError(None, None, f"{path} adalah folder, bukan berkas {table_label}."), warnings
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return source, "", RowError(None, None, f"berkas {table_label} tidak bisa dibaca ({path}): {reason}"), warnings
    else:
        source = str(getattr(path_or_buffer, "name", "") or "")
        data = path_or_buffer.read()
    if isinstance(data, bytes):
        text, note = _decode(data)
        if note:
            warnings.append(note)
    else:
        text = data
    return source, text.lstrip("\ufeff"), None, warnings


def _decode(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM) and UTF-16 first; Windows "CSV" saves as cp1252 otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, "Berkas tidak tersimpan sebagai UTF-8; dibaca sebagai Windows-1252. Periksa huruf beraksen."


def _detect_separator(text: str, keys: Sequence[str]) -> str:
    """Pick the separator that makes the first line look most like the expected header."""
    first = next((line for line in text.splitlines() if line.strip(" \t" + _INVISIBLE)), "")
    known = set(keys)

    def score(sep: str) -> tuple[int, int]:
        cells = next(csv.reader([first], delimiter=sep), [])
        return sum(normalize_header(c) in known for c in cells), len(cells)

    return max(_SEPARATORS, key=score)


def _match_header(
    header: list[str],
    columns: Sequence[Column],
    header_row: int,
    table_label: str,
    warnings: list[str],
) -> tuple[list[RowError], dict[str, int]]:
    """Map column keys to positions; report missing, duplicated and unknown headers."""
    errors: list[RowError] = []
    positions: dict[str, int] = {}
    wanted = {c.key for c in columns}
    duplicated: list[str] = []
    unknown: list[str] = []
    for position, name in enumerate(header):
        if not name:
            continue
        if name in wanted:
            if name in positions:
                duplicated.append(name)
            else:
                positions[name] = position
        else:
            unknown.append(name)
    for name in dict.fromkeys(duplicated):
        errors.append(
            RowError(header_row, None, f"nama kolom '{name}' muncul lebih dari sekali di baris kepala.")
        )
    missing_required = [c.name for c in columns if c.required and c.key not in positions]
    missing_optional = [c.name for c in columns if not c.required and c.key not in positions]
    if missing_required:
        found = ", ".join(h for h in header if h) or "(tidak ada)"
        errors.append(
            RowError(
                None,
                None,
                f"kolom wajib tidak ada di {table_label}: {', '.join(missing_required)}. "
                f"Kolom yang ditemukan: {found}. Periksa ejaan nama kolom di baris {header_row} "
                "dan pemisahnya (koma atau titik koma).",
            )
        )
    if missing_optional:
        warnings.append(f"Kolom tidak ada, dianggap kosong: {', '.join(missing_optional)}.")
    if unknown:
        warnings.append(f"Kolom tidak dikenal, diabaikan: {', '.join(unknown)}.")
    for note in warnings:
        log.warning("%s: %s", table_label, note)
    return errors, positions


def _cell(record: list[str], position: int | None) -> str:
    if position is None or position >= len(record):
        return ""
    return _strip(record[position])


def _strip(value: str) -> str:
    """Trim spaces, non-breaking spaces and the invisible characters spreadsheets leave."""
    return value.strip().strip(_INVISIBLE).strip()


def _is_blank(record: Sequence[str]) -> bool:
    return all(not _strip(cell) for cell in record)


# --- cells -------------------------------------------------------------------------------


def _empty_value(column: Column) -> Any:
    if column.separator and column.default is None:
        return ()
    return column.default


def _parse_cell(raw: str, column: Column) -> Any:
    """One cell → its typed value, or :class:`_Invalid` with the message for the person."""
    if column.separator:
        items = [_strip(part) for part in raw.split(column.separator)]
        items = [item for item in items if item]
        if not items:
            if column.required:
                raise _Invalid("wajib diisi.")
            return _empty_value(column)
        values: list[Any] = []
        problems: list[str] = []
        unknown: list[str] = []
        for item in items:
            try:
                value = _PARSERS[column.kind](item, column)
            except _Invalid as exc:
                if column.kind == "choice":
                    unknown.append(_q(item))
                else:
                    problems.append(str(exc))
                continue
            if value not in values:
                values.append(value)
        if unknown:
            problems.append(
                f"{', '.join(unknown)} bukan pilihan yang dikenal; pilihan yang boleh: {', '.join(column.choices)} "
                f"(pisahkan beberapa nilai dengan {_q(column.separator)})."
            )
        if problems:
            raise _Invalid(" ".join(problems))
        return tuple(values)
    if not raw:
        if column.required:
            raise _Invalid("wajib diisi.")
        return _empty_value(column)
    return _PARSERS[column.kind](raw, column)


def _q(value: str) -> str:
    return f"'{value}'"


def _parse_text(raw: str, column: Column) -> str:
    return raw


def _parse_email(raw: str, column: Column) -> str:
    """Checked by :func:`bapas_sop.email_address.valid_email`, as in forms and the outbox."""
    if not _EMAIL_RE.fullmatch(raw) or ".." in raw:
        raise _Invalid(f"alamat email tidak valid: {_q(raw)}")
    try:
        return valid_email(raw).lower()
    except EmailAddressError:
        raise _Invalid(f"alamat email tidak valid: {_q(raw)}") from None


def _parse_nip(raw: str, column: Column) -> str:
    """An 18-digit NIP: birth date (8), appointment year-month (6), sex (1), number (3)."""
    if _EXCEL_NUMBER_RE.fullmatch(raw):
        raise _Invalid(
            f"NIP {_q(raw)} sudah diubah spreadsheet menjadi angka dan digitnya hilang; "
            "format kolom ini sebagai Teks, lalu ketik ulang NIP-nya."
        )
    nip = re.sub(r"\s+", "", raw)
    if not nip.isdigit() or len(nip) != 18:
        digits = sum(ch.isdigit() for ch in nip)
        raise _Invalid(f"NIP harus 18 angka tanpa huruf, tertulis {_q(raw)} ({digits} angka).")
    try:
        datetime.strptime(nip[:8], "%Y%m%d")
    except ValueError:
        raise _Invalid(
            f"NIP {_q(raw)} tidak sah: 8 angka pertama harus tanggal lahir (tahun, bulan, tanggal)."
        ) from None
    if not 1 <= int(nip[12:14]) <= 12:
        raise _Invalid(
            f"NIP {_q(raw)} tidak sah: angka ke-9 sampai ke-14 harus tahun dan bulan pengangkatan."
        )
    if nip[14] not in "12":
        raise _Invalid(
            f"NIP {_q(raw)} tidak sah: angka ke-15 harus 1 (laki-laki) atau 2 (perempuan)."
        )
    return nip


def _parse_date(raw: str, column: Column) -> date:
    """ISO dates, day-first dates as Indonesian spreadsheets write them, and '5 Maret 2024'."""
    text = re.split(r"[ T](?=\d{1,2}:)", raw, maxsplit=1)[0].strip()  # drop a time part
    for fmt in _NUMERIC_DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    match = re.fullmatch(r"(\d{1,2})[\s\-]+([A-Za-z]+)\.?[\s\-]+(\d{4})", text)
    if match and match.group(2).lower() in _MONTHS:
        try:
            return date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
        except ValueError:
            pass
    raise _Invalid(
        f"tanggal tidak dikenali: {_q(raw)}; tulis seperti 2024-03-05 atau 05/03/2024 (hari/bulan/tahun)."
    )


def _parse_bool(raw: str, column: Column) -> bool:
    word = raw.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _Invalid(f"isi dengan 'ya' atau 'tidak', bukan {_q(raw)}.")


def _parse_choice(raw: str, column: Column) -> str:
    wanted = normalize_header(raw)
    for choice in column.choices:
        if normalize_header(choice) == wanted:
            return choice
    raise _Invalid(
        f"{_q(raw)} bukan pilihan yang dikenal; pilihan yang boleh: {', '.join(column.choices)}."
    )


def _parse_int(raw: str, column: Column) -> int:
    text = raw.replace(" ", "")
    if not _INT_RE.fullmatch(text):
        raise _Invalid(f"harus bilangan bulat, tertulis {_q(raw)}.")
    return int(re.split(r"[.,]", text)[0])


_PARSERS = {
    "text": _parse_text,
    "email": _parse_email,
    "nip": _parse_nip,
    "date": _parse_date,
    "bool": _parse_bool,
    "choice": _parse_choice,
    "int": _parse_int,
}


# --- whole table -------------------------------------------------------------------------


def _check_unique(
    columns: Sequence[Column], parsed: dict[int, dict[str, Any]], positions: dict[str, int]
) -> list[RowError]:
    """A repeated value in a unique column: the later row is refused, naming the first."""
    errors: list[RowError] = []
    for column in columns:
        if not column.unique or column.key not in positions:
            continue
        first_seen: dict[Any, int] = {}
        for row_number in sorted(parsed):
            value = parsed[row_number][column.name]
            if value is None or value == "":
                continue
            if value in first_seen:
                errors.append(
                    RowError(
                        row_number,
                        column.name,
                        f"{_q(str(value))} sudah dipakai di baris {first_seen[value]}; "
                        "setiap nilai di kolom ini harus unik.",
                    )
                )
            else:
                first_seen[value] = row_number
    for error in errors:
        parsed.pop(error.row, None)  # type: ignore[arg-type]
    return errors


def _error_order(error: RowError) -> int:
    """File-level problems first, then by row; sorting is stable, so columns keep their order."""
    return -1 if error.row is None else error.row


def _result(
    raw_rows: dict[int, dict[str, str]],
    parsed: dict[int, dict[str, Any]],
    columns: Sequence[Column],
    errors: list[RowError],
    warnings: list[str],
    table_label: str,
    source: str,
) -> LoadResult:
    names = [c.name for c in columns]
    rows = pd.DataFrame(
        [parsed[r] for r in sorted(parsed)],
        columns=names,
        index=pd.Index(sorted(parsed), name=ROW_INDEX, dtype="int64"),
        dtype=object,
    )
    raw = pd.DataFrame(
        [raw_rows[r] for r in sorted(raw_rows)],
        columns=names,
        index=pd.Index(sorted(raw_rows), name=ROW_INDEX, dtype="int64"),
        dtype=object,
    )
    ordered = sorted(errors, key=_error_order)
    return LoadResult(rows, ordered, warnings, table_label, source, raw)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
