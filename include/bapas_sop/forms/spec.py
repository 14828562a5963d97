"""FormSpec: one typed description of a form, rendered as a local page or as Google Forms items.

Validation happens here, on the server, for every field: the browser's own checks are a
convenience only. Messages are Indonesian and name the field; the raw input is always kept
so that a page re-rendered with errors shows exactly what the person typed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse

from bapas_sop.email_address import EmailAddressError, valid_email
from bapas_sop.textid import WIB, format_date_id, format_datetime_id

#: Every date a form accepts lies in this range, whatever the field says: what is outside is a
#: typo (``0001-01-02``, ``9999-12-31``) that would break the deadline arithmetic and pandas
#: (whose timestamps end in 1677 and 2262) long after the person left the page.
DATE_FLOOR = date(1900, 1, 1)
DATE_CEILING = date(2100, 12, 31)

#: A date bound: a fixed date, or a function giving it when the form is checked (a value read
#: from the configuration, or "today").
DateBound = date | Callable[[], date]


class Kind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    PERSON = "person"
    URL = "url"
    EMAIL = "email"
    YES_NO = "yes_no"
    RATING = "rating"
    FILE_LINK = "file_link"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One question.

    ``choices_from`` names a key of the request's context that holds the choices at run time
    (e.g. the PKs of a section with their open-Litmas load), for choices that depend on data.
    ``required_if`` makes the field required only when another field has a given value
    (e.g. notes are required when the decision is "revisi").
    """

    name: str
    label: str
    kind: Kind = Kind.TEXT
    required: bool = True
    help: str = ""
    choices: tuple[Choice, ...] = ()
    choices_from: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    required_if: tuple[str, str] | None = None
    placeholder: str = ""
    # Date/datetime bounds (inside DATE_FLOOR..DATE_CEILING in any case): ``earliest`` and
    # ``latest`` are dates (or functions giving one); ``not_future`` refuses a moment after now
    # (WIB), e.g. when a letter was received; ``max_days_ahead`` refuses a date more than that
    # many days after today, e.g. the end of a trip.
    earliest: DateBound | None = None
    latest: DateBound | None = None
    not_future: bool = False
    max_days_ahead: int | None = None


@dataclass(frozen=True)
class FormSpec:
    name: str
    title: str
    fields: tuple[Field, ...]
    intro: str = ""
    submit_label: str = "Kirim"
    # A stand-in may take the step over from the form (substitusi pelaksana).
    allow_handover: bool = True
    # Checks across fields, run when every field is valid on its own: each takes the typed
    # values and returns {field name: Indonesian message} for what is wrong.
    checks: tuple[Callable[[Mapping[str, Any]], Mapping[str, str]], ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def choices_for(self, f: Field, context: Mapping[str, Any] | None) -> tuple[Choice, ...]:
        if f.kind == Kind.YES_NO:
            return (Choice("ya", "Ya"), Choice("tidak", "Tidak"))
        if f.kind == Kind.RATING and not f.choices:
            return tuple(Choice(str(i), str(i)) for i in range(1, 6))
        if f.choices_from:
            raw = (context or {}).get(f.choices_from) or []
            return tuple(Choice(str(c["value"]), str(c["label"])) for c in raw)
        return f.choices

    def display(self, answer: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> list[list[str]]:
        """An answer as label/text rows, as a person reads it (choice labels, Ya/Tidak, "-")."""
        rows = []
        for f in self.fields:
            value = answer.get(f.name)
            if value is None or value == "" or value == []:
                text = "-"
            elif f.kind == Kind.YES_NO:
                text = "Ya" if value else "Tidak"
            elif f.kind == Kind.DATE:
                text = format_date_id(value)
            elif f.kind == Kind.DATETIME:
                text = format_datetime_id(value).replace(" WIB", "")
            elif f.kind == Kind.NUMBER and isinstance(value, (int, float)):
                text = f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value).replace(".", ",")
            else:
                labels = {c.value: c.label for c in self.choices_for(f, context)}
                if isinstance(value, list):
                    text = ", ".join(labels.get(str(v), str(v)) for v in value)
                else:
                    text = labels.get(str(value), str(value))
            rows.append([f.label, text])
        return rows

    def validate(self, raw: Mapping[str, Any], context: Mapping[str, Any] | None = None) -> Validation:
        """Check every field; return typed values or Indonesian messages per field."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        kept: dict[str, Any] = {}
        for f in self.fields:
            given = raw.get(f.name)
            if f.kind == Kind.MULTI_CHOICE:
                items = [str(v).strip() for v in _as_list(given) if str(v).strip()]
                kept[f.name] = items
                empty = not items
            else:
                text = "" if given is None else str(_first(given)).strip()
                kept[f.name] = text
                empty = text == ""
            required = f.required
            if f.required_if is not None:
                other, expected = f.required_if
                required = str(_first(raw.get(other)) or "").strip() == expected
            if empty:
                if required:
                    errors[f.name] = f"{f.label} wajib diisi."
                else:
                    values[f.name] = [] if f.kind == Kind.MULTI_CHOICE else None
                continue
            try:
                values[f.name] = self._convert(f, kept[f.name], context)
            except FieldError as exc:
                errors[f.name] = f"{f.label}: {exc}"
        if not errors:
            for check in self.checks:
                errors.update(check(values))
        return Validation(values=values, errors=errors, kept=kept)

    def _convert(self, f: Field, value: Any, context: Mapping[str, Any] | None) -> Any:
        if f.kind in (Kind.CHOICE, Kind.PERSON, Kind.YES_NO, Kind.RATING):
            allowed = {c.value for c in self.choices_for(f, context)}
            if value not in allowed:
                raise FieldError("pilihan tidak dikenal, silakan pilih salah satu yang tersedia.")
            if f.kind == Kind.YES_NO:
                return value == "ya"
            if f.kind == Kind.RATING:
                return int(value)
            return value
        if f.kind == Kind.MULTI_CHOICE:
            allowed = {c.value for c in self.choices_for(f, context)}
            unknown = [v for v in value if v not in allowed]
            if unknown:
                raise FieldError("ada pilihan yang tidak dikenal.")
            return list(dict.fromkeys(value))
        if f.kind == Kind.NUMBER:
            number = _parse_number(value)
            if f.min_value is not None and number < f.min_value:
                raise FieldError(f"tidak boleh kurang dari {_fmt_number(f.min_value)}.")
            if f.max_value is not None and number > f.max_value:
                raise FieldError(f"tidak boleh lebih dari {_fmt_number(f.max_value)}.")
            return number
        if f.kind == Kind.DATE:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise FieldError("tanggal tidak valid (format: TTTT-BB-HH, mis. 2026-12-01).") from None
            _check_date_bounds(f, day, None)
            return day.isoformat()
        if f.kind == Kind.DATETIME:
            try:
                moment = datetime.fromisoformat(value).replace(second=0, microsecond=0)
            except ValueError:
                raise FieldError("tanggal dan jam tidak valid (mis. 2026-12-01 09:30).") from None
            if moment.tzinfo is not None:  # the field is WIB wall time; an offset is converted
                moment = moment.astimezone(WIB).replace(tzinfo=None)
            _check_date_bounds(f, moment.date(), moment)
            return moment.isoformat()
        if f.kind in (Kind.URL, Kind.FILE_LINK):
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise FieldError("tautan harus diawali http:// atau https://.")
        if f.kind == Kind.EMAIL:
            try:
                value = valid_email(value)
            except EmailAddressError as exc:
                raise FieldError(str(exc)) from None
        if f.max_length is not None and len(value) > f.max_length:
            raise FieldError(f"terlalu panjang ({len(value)} karakter, paling banyak {f.max_length}).")
        if f.pattern and not re.fullmatch(f.pattern, value):
            raise FieldError(f.pattern_message or "format tidak sesuai.")
        return value


@dataclass
class Validation:
    values: dict[str, Any]
    errors: dict[str, str]
    kept: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class FieldError(ValueError):
    """A value that does not fit its field; the message is shown to the person."""


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else ""
    return value


def _as_list(value: Any) -> Sequence[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return value
    return [value]


#: Indonesian grouping: dots between groups of three digits, a decimal comma (1.500.000,50).
_ID_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_PLAIN = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)")
_RUPIAH = re.compile(r"^rp\.?", re.IGNORECASE)


def _parse_number(text: str) -> int | float:
    """A number as Indonesians write it: ``1.500.000``, ``1.500.000,50``, ``Rp 1.500.000``,
    ``3,5``; plain ``3.5`` and ``1 500 000`` too.

    A dot followed by groups of three digits groups thousands, as in Indonesian writing
    (``1.250`` is one thousand two hundred and fifty); any other dot is a decimal point
    (``3.5``, ``1.25``), as a phone's keypad may give it. Only digits are read, so ``nan``, ``inf`` and ``1e400``
    (which ``float()`` takes) are refused: they would be stored as null or overflow later.
    """
    compact = text.replace(" ", "").replace("\u00a0", "")
    cleaned = _RUPIAH.sub("", compact)
    if _ID_GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _PLAIN.fullmatch(cleaned):
        cleaned = cleaned.replace(",", ".")
    else:
        raise FieldError("harus berupa angka.")
    number = float(cleaned)
    if not math.isfinite(number):  # pragma: no cover - only digits reach float()
        raise FieldError("harus berupa angka.")
    return int(number) if number.is_integer() else number


def _bound(value: DateBound | None) -> date | None:
    return value() if callable(value) else value


def _check_date_bounds(f: Field, day: date, moment: datetime | None) -> None:
    """Refuse a date outside the project's range and the field's own bounds (Indonesian)."""
    earliest = max(DATE_FLOOR, _bound(f.earliest) or DATE_FLOOR)
    latest = min(DATE_CEILING, _bound(f.latest) or DATE_CEILING)
    now = datetime.now(WIB).replace(tzinfo=None)
    if f.max_days_ahead is not None:
        latest = min(latest, now.date() + timedelta(days=f.max_days_ahead))
    if day < earliest:
        raise FieldError(f"tidak boleh sebelum {format_date_id(earliest, with_day=False)}.")
    if f.not_future and (day > now.date() or (moment is not None and moment > now)):
        raise FieldError(f"tidak boleh di masa depan (sekarang {format_datetime_id(now)}).")
    if day > latest:
        raise FieldError(f"tidak boleh setelah {format_date_id(latest, with_day=False)}.")


def _fmt_number(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)
