"""WIB time, Indonesian holidays and working days for every SOP.

Why one module: deadlines (SP2LO accountability, reminders), the holiday duty roster and the
"first working day" timetables must all agree on what a working day is in Jambi. A working day
is Monday to Friday in ``Asia/Jakarta`` (WIB, UTC+7, no daylight saving) that is neither a
national holiday nor a *cuti bersama* (joint leave day for civil servants).

Holidays come from the ``holidays`` package (country ``ID``, categories ``public`` and
``government``; the government category carries the cuti bersama), with Indonesian names. The
package follows the yearly SKB 3 Menteri (joint decree on holidays and cuti bersama) with a lag
and the government sometimes adds a day mid-year, so each year may have a local override file
``<data_dir>/holidays/<year>.csv`` with the columns ``date,name,action``:

* ``add``: the date is a holiday (or cuti bersama) with this name; also used to pin the SKB's
  list so that an upgrade of the package cannot silently change the office calendar;
* ``remove``: the package lists the date, but the office works that day.

Lines starting with ``#`` are comments. ``data_dir`` is ``get_settings().data_dir``
(``BAPAS_DATA_DIR``). Edits to an override file take effect without a restart (the cache is
keyed by the file's modification time).

Naive datetimes are refused everywhere: a naive time from SQLite or a form would otherwise be
read as UTC by one caller and as WIB by another, seven hours apart.
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays as holidays_pkg
import numpy as np

from bapas_sop.settings import TIMEZONE, get_settings

log = logging.getLogger(__name__)

WIB = ZoneInfo(TIMEZONE)

WEEKDAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())
END_OF_DAY = time(23, 59, 59)

OVERRIDE_ACTIONS = ("add", "remove")
HOLIDAY_CATEGORIES = (holidays_pkg.PUBLIC, holidays_pkg.GOVERNMENT)


class HolidayOverrideError(ValueError):
    """An override file has a line that cannot be trusted; the message names file and line."""


# --------------------------------------------------------------------------------------------
# Time in WIB


def now_wib() -> datetime:
    """The current time as an aware datetime in WIB."""
    return datetime.now(WIB)


def to_wib(dt: datetime) -> datetime:
    """``dt`` converted to WIB; a naive datetime is refused because its zone is a guess."""
    if not isinstance(dt, datetime):
        raise TypeError(f"expected a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError(
            f"naive datetime {dt.isoformat()} given; pass a timezone-aware datetime "
            "(e.g. datetime(..., tzinfo=WIB) or one in UTC)"
        )
    return dt.astimezone(WIB)


def wib_date(value: date | datetime) -> date:
    """The calendar day in Jambi of a date or an aware datetime (a UTC evening is the next day)."""
    if isinstance(value, datetime):
        return to_wib(value).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or datetime, got {type(value).__name__}")


def at_wib(day: date, at: time = time(0, 0)) -> datetime:
    """The aware WIB datetime of a wall-clock time on a day in Jambi."""
    return datetime.combine(day, at, tzinfo=WIB)


def end_of_day(day: date | datetime) -> datetime:
    """23:59:59 WIB of that day: the last moment a "due on day X" deadline is still met."""
    return at_wib(wib_date(day), END_OF_DAY)


# --------------------------------------------------------------------------------------------
# Holidays


@dataclass(frozen=True)
class HolidayOverride:
    """One line of an override file."""

    day: date
    name: str
    action: str
    line: int


def override_path(year: int, data_dir: Path | None = None) -> Path:
    """Where the override file of ``year`` lives."""
    base = Path(data_dir) if data_dir is not None else get_settings().data_dir
    return base / "holidays" / f"{year}.csv"


def read_overrides(path: Path, year: int) -> list[HolidayOverride]:
    """Parse an override file, refusing a bad line with its line number rather than skipping it.

    A skipped line would silently turn a cuti bersama into a working day (or the reverse) and
    shift every deadline computed from it.
    """
    with path.open(newline="", encoding="utf-8-sig") as fh:
        numbered = [
            (number, line)
            for number, line in enumerate(fh, start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    if not numbered:
        return []
    rows = list(csv.reader([line for _, line in numbered]))
    header = [cell.strip().lower() for cell in rows[0]]
    if header[:3] != ["date", "name", "action"]:
        raise HolidayOverrideError(
            f"{path}:{numbered[0][0]}: the first non-comment line must be the header "
            f"'date,name,action', found {','.join(rows[0])!r}"
        )
    result: list[HolidayOverride] = []
    for (number, _), row in zip(numbered[1:], rows[1:], strict=True):
        cells = [cell.strip() for cell in row] + ["", "", ""]
        raw_day, name, action = cells[0], cells[1], cells[2].lower()
        where = f"{path}:{number}"
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            raise HolidayOverrideError(
                f"{where}: {raw_day!r} is not a date in the form YYYY-MM-DD"
            ) from None
        if day.year != year:
            raise HolidayOverrideError(f"{where}: {day} does not belong in the file of {year}")
        if action not in OVERRIDE_ACTIONS:
            raise HolidayOverrideError(
                f"{where}: action must be 'add' or 'remove', found {cells[2]!r}"
            )
        if action == "add" and not name:
            raise HolidayOverrideError(f"{where}: an 'add' line needs the holiday's name")
        result.append(HolidayOverride(day=day, name=name, action=action, line=number))
    return result


def _package_holidays(year: int) -> dict[date, str]:
    """Public holidays and cuti bersama of ``year`` from the ``holidays`` package, in Indonesian."""
    found = holidays_pkg.country_holidays(
        "ID", years=year, categories=HOLIDAY_CATEGORIES, language="id"
    )
    return {day: name for day, name in sorted(found.items()) if day.year == year}


@lru_cache(maxsize=64)
def _holidays_cached(year: int, path: str, mtime_ns: int | None) -> dict[date, str]:
    days = _package_holidays(year)
    if mtime_ns is None:
        return days
    for item in read_overrides(Path(path), year):
        if item.action == "add":
            days[item.day] = item.name
        elif item.day in days:
            del days[item.day]
        else:
            log.warning(
                "%s:%s: 'remove' of %s, which is not a holiday in the package",
                path, item.line, item.day,
            )
    return dict(sorted(days.items()))


def _holiday_map(year: int) -> dict[date, str]:
    """The shared cached mapping (do not mutate); the cache key follows the override file."""
    path = override_path(year)
    try:
        mtime_ns: int | None = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        mtime_ns = None
    return _holidays_cached(year, str(path), mtime_ns)


def holidays_in(year: int) -> dict[date, str]:
    """Every holiday and cuti bersama of ``year`` (weekend ones included), date -> name."""
    return dict(_holiday_map(year))


def clear_holiday_cache() -> None:
    """Forget cached years (only needed when the package itself changes in a running process)."""
    _holidays_cached.cache_clear()


def holiday_name(day: date | datetime) -> str | None:
    """The name of the holiday on that day in Jambi, or None."""
    d = wib_date(day)
    return _holiday_map(d.year).get(d)


# --------------------------------------------------------------------------------------------
# Working days


def is_working_day(day: date | datetime) -> bool:
    """Monday to Friday in WIB that is neither a holiday nor a cuti bersama."""
    d = wib_date(day)
    return d.weekday() not in WEEKEND and d not in _holiday_map(d.year)


def next_working_day(day: date | datetime) -> date:
    """The first working day strictly after ``day`` (a Friday's next is usually Monday)."""
    d = wib_date(day) + timedelta(days=1)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def previous_working_day(day: date | datetime) -> date:
    """The last working day strictly before ``day``."""
    d = wib_date(day) - timedelta(days=1)
    while not is_working_day(d):
        d -= timedelta(days=1)
    return d


def working_day_on_or_after(day: date | datetime) -> date:
    """``day`` itself when it is a working day, else the next one (e.g. "first working day")."""
    d = wib_date(day)
    return d if is_working_day(d) else next_working_day(d)


def add_working_days(start: datetime, n: int) -> datetime:
    """The moment ``n`` working days after ``start``, at the same WIB wall-clock time.

    Rule: count working days on the calendar strictly after the WIB date of ``start``; the
    result is the ``n``-th of them at the time of day ``start`` had in WIB. So Friday 15:00 + 1
    is Monday 15:00 (without a holiday on that Monday), and a start on a non-working day counts
    from the next working day: Saturday 10:00 + 1 is Monday 10:00. ``n == 0`` returns ``start``
    (in WIB) unchanged; a negative ``n`` counts backwards the same way (Saturday 10:00 - 1 is
    Friday 10:00). WIB has no daylight saving, so the wall-clock time is always valid.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be a whole number of working days, got {n!r}")
    local = to_wib(start)
    step = timedelta(days=1 if n >= 0 else -1)
    d = local.date()
    remaining = abs(int(n))
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return datetime.combine(d, local.timetz())


def _holidays_between(first: date, last: date) -> list[date]:
    found: list[date] = []
    for year in range(first.year, last.year + 1):
        found.extend(d for d in _holiday_map(year) if first <= d <= last)
    return found


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    """How many working days lie after ``a``'s date up to and including ``b``'s date (in WIB).

    Chosen so that ``working_days_between(s, add_working_days(s, n)) == n``: Friday to the next
    Monday is 1. Negative when ``b`` is before ``a``; 0 for the same day.
    """
    da, db = wib_date(a), wib_date(b)
    if db < da:
        return -working_days_between(db, da)
    if da == db:
        return 0
    first, last = da + timedelta(days=1), db
    hols = np.array(_holidays_between(first, last), dtype="datetime64[D]")
    count = np.busday_count(
        np.datetime64(first, "D"), np.datetime64(last + timedelta(days=1), "D"), holidays=hols
    )
    return int(count)


def non_working_days(year: int, month: int) -> list[tuple[date, str]]:
    """Every non-working day of a month with its reason, for the holiday duty roster.

    The reason is the holiday's name when the day is a holiday or cuti bersama (also on a
    weekend: "Hari Raya Idul Fitri" says more than "Sabtu"), else "Sabtu" or "Minggu".
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    hols = _holiday_map(year)
    d = date(year, month, 1)
    result: list[tuple[date, str]] = []
    while d.month == month:
        if d in hols:
            result.append((d, hols[d]))
        elif d.weekday() in WEEKEND:
            result.append((d, WEEKDAY_NAMES[d.weekday()]))
        d += timedelta(days=1)
    return result


__all__ = [
    "END_OF_DAY",
    "HolidayOverride",
    "HolidayOverrideError",
    "WEEKDAY_NAMES",
    "WIB",
    "add_working_days",
    "at_wib",
    "clear_holiday_cache",
    "end_of_day",
    "holiday_name",
    "holidays_in",
    "is_working_day",
    "next_working_day",
    "non_working_days",
    "now_wib",
    "override_path",
    "previous_working_day",
    "read_overrides",
    "to_wib",
    "wib_date",
    "working_day_on_or_after",
    "working_days_between",
]
