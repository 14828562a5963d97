"""Indonesian renderings of dates and times, as a person in Jambi reads them (WIB)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")

DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)


def format_date_id(value: date | datetime | str | None, *, with_day: bool = True) -> str:
    """``Senin, 30 November 2026``; accepts ISO strings as stored in form answers."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(WIB).date() if value.tzinfo else value.date()
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    return f"{DAYS[value.weekday()]}, {text}" if with_day else text


def format_datetime_id(value: datetime | str | None) -> str:
    """``Senin, 30 November 2026 pukul 15.00 WIB`` (aware times are converted to WIB)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(WIB) if value.tzinfo else value
    return f"{format_date_id(local.date())} pukul {local:%H.%M} WIB"
