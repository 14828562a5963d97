"""WIB time, Indonesian holidays, override files and working-day arithmetic."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timezone
from pathlib import Path

import pytest

from bapas_sop import calendar as cal
from bapas_sop.calendar import WIB
from bapas_sop.settings import PROJECT_DIR

SHIPPED_DATA_DIR = PROJECT_DIR / "include" / "data"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private var dir (settings writes a key file there) and an empty data dir."""
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path / "var"))
    data_dir = tmp_path / "data"
    (data_dir / "holidays").mkdir(parents=True)
    monkeypatch.setenv("BAPAS_DATA_DIR", str(data_dir))
    return data_dir


def write_overrides(data_dir: Path, year: int, *rows: str, mtime_ns: int | None = None) -> Path:
    path = data_dir / "holidays" / f"{year}.csv"
    path.write_text(
        "# test overrides\n# date,name,action\ndate,name,action\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


# --- time zone ------------------------------------------------------------------------------


def test_utc_evening_is_the_next_day_in_wib() -> None:
    utc_evening = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)  # Friday 20:00 UTC
    local = cal.to_wib(utc_evening)
    assert local == datetime(2026, 11, 28, 3, 0, tzinfo=WIB)
    assert local.utcoffset().total_seconds() == 7 * 3600
    assert cal.wib_date(utc_evening) == date(2026, 11, 28)  # a Saturday in Jambi
    assert not cal.is_working_day(utc_evening)
    assert cal.is_working_day(datetime(2026, 11, 27, 16, 59, tzinfo=timezone.utc))


def test_naive_datetimes_are_refused_clearly() -> None:
    naive = datetime(2026, 11, 27, 15, 0)
    with pytest.raises(ValueError, match="naive datetime"):
        cal.to_wib(naive)
    with pytest.raises(ValueError, match="naive datetime"):
        cal.add_working_days(naive, 1)
    with pytest.raises(ValueError, match="naive datetime"):
        cal.is_working_day(naive)


def test_now_wib_is_aware_in_jakarta() -> None:
    now = cal.now_wib()
    assert now.tzinfo is WIB
    assert abs((now - datetime.now(timezone.utc)).total_seconds()) < 5


def test_end_of_day_is_the_last_second_in_wib() -> None:
    assert cal.end_of_day(date(2026, 12, 29)) == datetime(2026, 12, 29, 23, 59, 59, tzinfo=WIB)


# --- holidays -------------------------------------------------------------------------------


def test_package_holidays_and_cuti_bersama_in_indonesian() -> None:
    days = cal.holidays_in(2026)
    assert days[date(2026, 12, 25)] == "Hari Raya Natal"
    assert days[date(2026, 12, 24)] == "Cuti Bersama Hari Raya Natal"  # government category
    assert days[date(2026, 8, 17)] == "Hari Kemerdekaan Republik Indonesia"
    assert all(d.year == 2026 for d in days)


def test_holidays_in_returns_a_copy() -> None:
    cal.holidays_in(2026).clear()
    assert date(2026, 12, 25) in cal.holidays_in(2026)


def test_override_add_makes_a_cuti_bersama(isolated: Path) -> None:
    assert cal.is_working_day(date(2026, 12, 31))
    write_overrides(isolated, 2026, "2026-12-31,Cuti Bersama Tahun Baru,add")
    assert not cal.is_working_day(date(2026, 12, 31))
    assert cal.holidays_in(2026)[date(2026, 12, 31)] == "Cuti Bersama Tahun Baru"
    assert cal.holiday_name(date(2026, 12, 31)) == "Cuti Bersama Tahun Baru"


def test_override_remove_reopens_a_day(isolated: Path) -> None:
    assert not cal.is_working_day(date(2026, 12, 24))
    write_overrides(isolated, 2026, "2026-12-24,Cuti Bersama Hari Raya Natal,remove")
    assert cal.is_working_day(date(2026, 12, 24))
    assert date(2026, 12, 24) not in cal.holidays_in(2026)
    assert date(2026, 12, 25) in cal.holidays_in(2026)  # the rest of the year is untouched


def test_an_edited_override_file_takes_effect_without_restart(isolated: Path) -> None:
    write_overrides(isolated, 2026, "2026-12-31,Cuti Bersama,add", mtime_ns=1_000_000_000)
    assert not cal.is_working_day(date(2026, 12, 31))
    write_overrides(isolated, 2026, "2026-12-30,Cuti Bersama,add", mtime_ns=2_000_000_000)
    assert cal.is_working_day(date(2026, 12, 31))
    assert not cal.is_working_day(date(2026, 12, 30))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2026-12-31,Libur,cuti", "action must be 'add' or 'remove'"),
        ("31-12-2026,Libur,add", "not a date in the form YYYY-MM-DD"),
        ("2027-01-04,Libur,add", "does not belong in the file of 2026"),
        ("2026-12-31,,add", "needs the holiday's name"),
    ],
)
def test_bad_override_lines_are_refused_with_file_and_line(
    isolated: Path, row: str, message: str
) -> None:
    path = write_overrides(isolated, 2026, "2026-12-30,Cuti Bersama,add", row)
    with pytest.raises(cal.HolidayOverrideError, match=message) as info:
        cal.holidays_in(2026)
    assert f"{path}:5" in str(info.value)  # two comments + header + first row, then line 5


def test_override_file_needs_its_header(isolated: Path) -> None:
    (isolated / "holidays" / "2026.csv").write_text("2026-12-31,Libur,add\n")
    with pytest.raises(cal.HolidayOverrideError, match="header 'date,name,action'"):
        cal.holidays_in(2026)


@pytest.mark.parametrize("year", [2026, 2027])
def test_shipped_override_files_parse_and_agree_with_the_package(year: int) -> None:
    path = cal.override_path(year, SHIPPED_DATA_DIR)
    rows = cal.read_overrides(path, year)
    assert len(rows) >= 2
    package = cal._package_holidays(year)
    for row in rows:
        assert row.action == "add"
        assert row.day in package, f"{row.day} is pinned but unknown to the holidays package"
        assert row.name.startswith("Cuti Bersama")


# --- working days ---------------------------------------------------------------------------


def test_weekends_and_holidays_are_not_working_days() -> None:
    assert cal.is_working_day(date(2026, 12, 23))  # Wednesday
    assert not cal.is_working_day(date(2026, 12, 26))  # Saturday
    assert not cal.is_working_day(date(2026, 12, 27))  # Sunday
    assert not cal.is_working_day(date(2026, 12, 25))  # Natal, a Friday


def test_next_and_previous_working_day() -> None:
    assert cal.next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)  # Fri -> Mon
    assert cal.next_working_day(date(2026, 12, 23)) == date(2026, 12, 28)  # over Natal
    assert cal.previous_working_day(date(2026, 12, 28)) == date(2026, 12, 23)
    assert cal.working_day_on_or_after(date(2026, 12, 23)) == date(2026, 12, 23)
    assert cal.working_day_on_or_after(date(2026, 12, 24)) == date(2026, 12, 28)


def test_add_working_days_keeps_the_time_and_skips_a_national_holiday() -> None:
    start = datetime(2026, 12, 23, 10, 30, tzinfo=WIB)  # Wednesday
    # 24 cuti bersama, 25 Natal, 26-27 weekend: the next working day is Monday 28.
    assert cal.add_working_days(start, 1) == datetime(2026, 12, 28, 10, 30, tzinfo=WIB)
    assert cal.add_working_days(start, 3) == datetime(2026, 12, 30, 10, 30, tzinfo=WIB)


def test_add_working_days_skips_an_override_cuti_bersama(isolated: Path) -> None:
    start = datetime(2026, 12, 30, 9, 0, tzinfo=WIB)  # Wednesday
    assert cal.add_working_days(start, 1) == datetime(2026, 12, 31, 9, 0, tzinfo=WIB)
    write_overrides(isolated, 2026, "2026-12-31,Cuti Bersama Tahun Baru,add")
    # 31 Dec (override), 1 Jan 2027 (Tahun Baru), 2-3 Jan weekend -> Monday 4 January 2027.
    assert cal.add_working_days(start, 1) == datetime(2027, 1, 4, 9, 0, tzinfo=WIB)


def test_add_working_days_rule_at_the_edges() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=WIB)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=WIB)
    assert cal.add_working_days(friday, 1) == datetime(2026, 11, 30, 15, 0, tzinfo=WIB)
    assert cal.add_working_days(saturday, 1) == datetime(2026, 11, 30, 10, 0, tzinfo=WIB)
    assert cal.add_working_days(saturday, 0) == saturday
    assert cal.add_working_days(saturday, -1) == datetime(2026, 11, 27, 10, 0, tzinfo=WIB)
    # A UTC start is converted first: Friday 20:00 UTC is Saturday 03:00 WIB.
    utc = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)
    assert cal.add_working_days(utc, 1) == datetime(2026, 11, 30, 3, 0, tzinfo=WIB)
    with pytest.raises(TypeError):
        cal.add_working_days(friday, 1.5)  # type: ignore[arg-type]


def test_working_days_between_is_the_inverse_of_adding() -> None:
    assert cal.working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
    assert cal.working_days_between(date(2026, 11, 30), date(2026, 11, 27)) == -1
    assert cal.working_days_between(date(2026, 11, 30), date(2026, 11, 30)) == 0
    start = datetime(2026, 12, 18, 8, 0, tzinfo=WIB)
    for n in (1, 2, 5, 10, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_non_working_days_of_a_month_with_reasons() -> None:
    days = dict(cal.non_working_days(2026, 12))
    assert days[date(2026, 12, 5)] == "Sabtu"
    assert days[date(2026, 12, 6)] == "Minggu"
    assert days[date(2026, 12, 24)] == "Cuti Bersama Hari Raya Natal"
    assert days[date(2026, 12, 25)] == "Hari Raya Natal"
    assert date(2026, 12, 23) not in days
    assert list(days) == sorted(days)
    # A holiday on a weekend is named after the holiday, not the weekday.
    march = dict(cal.non_working_days(2026, 3))
    assert march[date(2026, 3, 21)] == "Hari Raya Idul Fitri"
    assert cal.at_wib(date(2026, 3, 21), time(8)).weekday() == 5
