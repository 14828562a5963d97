"""Pekan Disiplin: attendance and discipline, as plain rules (pandas, no Airflow, no database).

- **The export** of the fingerprint machine (:data:`EXPORT_COLUMNS`, :func:`read_export`):
  one row per employee and day with a check-in and a check-out cell, as Solution/ZKTeco
  attendance software writes it (``;``, ``dd/mm/yyyy``, ``Scan Masuk``/``Scan Pulang``,
  empty scans, the same day twice, several scans in one cell, NIPs with spaces). Every bad row
  is named in Indonesian; rows of other weeks or of unknown NIPs are bad rows too.
- **The computation** (:func:`attendance_days`, vectorised): each active employee on each
  working day of the office calendar (no weekend, national holiday or cuti bersama), against
  the office hours of the day; leave and official travel of the absence register are not
  absences. Lateness and early leave are minutes; a day with one scan missing counts a fixed
  number of minutes for the missing half (:attr:`DisciplineRules.incomplete_scan_minutes`).
- **PP 94/2021** (:func:`accumulate`, :func:`levels`, :func:`new_crossings`): unexcused absence
  days over the calendar year, plus lateness and early leave converted to days
  (:attr:`DisciplineRules.minutes_per_day`, by default 450 minutes = 7.5 hours = one day), the
  longest run of consecutive unexcused working days, and the thresholds of the configuration.
  A threshold is announced once per person and year; nothing here decides a sanction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import IO, Any

import numpy as np
import pandas as pd

from bapas_sop.calendar import is_working_day
from bapas_sop.tables import Column, LoadResult, RowError, load_table

EXPORT_TABLE_LABEL = "ekspor absensi mesin sidik jari"

#: The columns read from the machine's export; the others it writes (No., Jam Kerja, Terlambat,
#: Plg. Cepat, Lembur, ...) are ignored: the office computes them itself from its own hours.
EXPORT_COLUMNS: tuple[Column, ...] = (
    Column("nip", required=True, kind="nip"),
    Column("nama"),
    Column("departemen"),
    Column("tanggal", required=True, kind="date"),
    Column("scan_masuk"),
    Column("scan_pulang"),
)

WEEKDAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")

#: Decisions of a supervisor on one incident.
EXCUSES: dict[str, str] = {"sakit": "Sakit", "izin": "Izin", "cuti": "Cuti", "dinas": "Tugas kedinasan"}
NOT_EXCUSED = "tidak_sah"
UNANSWERED = "tidak_dijawab"

_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Threshold:
    """One row of the PP 94/2021 table: ``days_from``..``days_to`` days (``None``: no upper bound)."""

    key: str
    sanction: str
    severity: str
    article: str
    days_from: int
    days_to: int | None = None

    @property
    def span(self) -> str:
        if self.days_to is None:
            return f"{self.days_from} hari kerja atau lebih"
        if self.days_to == self.days_from:
            return f"{self.days_from} hari kerja"
        return f"{self.days_from}–{self.days_to} hari kerja"


@dataclass(frozen=True)
class DisciplineRules:
    """What an office may change, from ``[pekan_disiplin]`` in ``bapas.toml``.

    ``hours``: minutes after midnight (start, end) per weekday (0 = Monday); a weekday without
    hours is no working day. ``thresholds`` ascend by ``days_from``; ``consecutive`` is the
    threshold reached by ``consecutive_days`` unexcused working days in a row.
    """

    hours: Mapping[int, tuple[int, int]]
    thresholds: tuple[Threshold, ...]
    consecutive: Threshold
    consecutive_days: int = 10
    minutes_per_day: int = 450
    grace_minutes: int = 0
    incomplete_scan_minutes: int = 90

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DisciplineRules:
        hours = {}
        for index, name in enumerate(WEEKDAYS):
            span = (section.get("jam_kerja") or {}).get(name)
            if span:
                hours[index] = (parse_clock(span[0]), parse_clock(span[1]))
        thresholds = tuple(sorted((_threshold(t) for t in section["ambang"]), key=lambda t: t.days_from))
        consecutive = _threshold(section["berturut_turut"])
        return cls(
            hours=hours, thresholds=thresholds, consecutive=consecutive,
            consecutive_days=int(section["berturut_turut"]["hari"]),
            minutes_per_day=int(section.get("menit_per_hari", 450)),
            grace_minutes=int(section.get("toleransi_menit", 0)),
            incomplete_scan_minutes=int(section.get("menit_scan_tidak_lengkap", 90)),
        )

    def threshold(self, key: str) -> Threshold:
        for item in (*self.thresholds, self.consecutive):
            if item.key == key:
                return item
        raise KeyError(key)


def _threshold(row: Mapping[str, Any]) -> Threshold:
    return Threshold(key=row["kunci"], sanction=row["hukuman"], severity=row["tingkat"], article=row["pasal"],
                     days_from=int(row.get("dari", row.get("hari", 0))),
                     days_to=int(row["sampai"]) if row.get("sampai") is not None else None)


def parse_clock(text: str) -> int:
    """``"07:30"`` → 450 (minutes after midnight)."""
    match = _TIME.fullmatch(str(text).strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"jam '{text}' tidak valid; tulis JJ:MM, mis. 07:30.")
    return int(match.group(1)) * 60 + int(match.group(2))


def clock_text(minutes: float | None) -> str:
    """450 → ``07.30`` (as Indonesians write times); ``-`` for none."""
    if minutes is None or pd.isna(minutes):
        return "-"
    value = int(minutes)
    return f"{value // 60:02d}.{value % 60:02d}"


# --------------------------------------------------------------------------- weeks


def week_key(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def parse_week(text: str) -> tuple[date, date]:
    """``"2026-W47"`` → (Monday, Sunday); an Indonesian error otherwise."""
    match = re.fullmatch(r"\s*(\d{4})-?[Ww](\d{1,2})\s*", str(text or ""))
    if not match:
        raise ValueError(f"Pekan '{text}' tidak dikenali; tulis seperti 2026-W47 (tahun, lalu nomor pekan ISO).")
    try:
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise ValueError(f"Pekan {match.group(2)} tidak ada pada tahun {match.group(1)}.") from None
    return monday, monday + timedelta(days=6)


def previous_week(today: date) -> str:
    """The last complete week before ``today`` (a Monday run recaps the week just ended)."""
    return week_key(today - timedelta(days=today.weekday() + 7))


def working_days(first: date, last: date, rules: DisciplineRules) -> list[date]:
    """Days with office hours that are no holiday and no cuti bersama (``bapas_sop.calendar``)."""
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [d for d in days if d.weekday() in rules.hours and is_working_day(d)]


# --------------------------------------------------------------------------- the export


def parse_scans(text: str) -> tuple[int, int] | None:
    """Every time in one cell (a machine may write ``07:21 07:22``) → (earliest, latest) minutes."""
    text = (text or "").strip()
    if not text:
        return None
    found = list(_TIME.finditer(text))
    rest = _TIME.sub("", text).strip(" ,;/-")
    if not found or rest:
        raise ValueError(f"'{text}' bukan jam; tulis JJ:MM, mis. 07:25.")
    values = []
    for match in found:
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(f"jam '{match.group(0)}' tidak ada; tulis JJ:MM, mis. 07:25.")
        values.append(hour * 60 + minute)
    return min(values), max(values)


def read_export(source: str | IO[str] | IO[bytes] | Any, *, first: date, last: date,
                known_nips: Iterable[str] | None = None) -> LoadResult:
    """The week's export, validated: every bad row named (Indonesian), the good rows as
    ``nip, tanggal, masuk, pulang`` (minutes after midnight, NaN when empty).

    Bad: a NIP that is no 18-digit NIP or not in the staff list, a date outside the week,
    a scan that is no time. The same day exported twice is not an error (machines do it):
    :func:`combine_scans` keeps the first check-in and the last check-out.
    """
    result = load_table(source, EXPORT_COLUMNS, table_label=EXPORT_TABLE_LABEL)
    known = set(known_nips) if known_nips is not None else None
    errors: list[RowError] = []
    masuk: dict[int, float] = {}
    pulang: dict[int, float] = {}
    for row, values in result.rows.iterrows():
        if known is not None and values["nip"] not in known:
            errors.append(RowError(int(row), "nip", f"NIP {values['nip']} tidak ada di daftar pegawai aktif."))
        day = values["tanggal"]
        if not first <= day <= last:
            errors.append(RowError(int(row), "tanggal", f"tanggal {day:%d/%m/%Y} di luar pekan yang dimuat "
                                                        f"({first:%d/%m/%Y}–{last:%d/%m/%Y})."))
        for column, target, pick in (("scan_masuk", masuk, 0), ("scan_pulang", pulang, 1)):
            try:
                scans = parse_scans(values[column] or "")
            except ValueError as exc:
                errors.append(RowError(int(row), column, str(exc)))
                continue
            target[int(row)] = np.nan if scans is None else float(scans[pick])
    result.add_errors(errors)
    rows = result.rows
    result.rows = pd.DataFrame({
        "nip": rows["nip"].astype(str),
        "tanggal": pd.to_datetime(rows["tanggal"]),
        "masuk": [masuk.get(int(r), np.nan) for r in rows.index],
        "pulang": [pulang.get(int(r), np.nan) for r in rows.index],
    }, index=rows.index)
    return result


def combine_scans(scans: pd.DataFrame) -> pd.DataFrame:
    """One row per employee and day: the earliest check-in and the latest check-out."""
    return scans.groupby(["nip", "tanggal"], as_index=False, sort=False).agg(masuk=("masuk", "min"),
                                                                              pulang=("pulang", "max"))


# --------------------------------------------------------------------------- the computation


def expand_absences(absences: pd.DataFrame, days: Sequence[date]) -> pd.DataFrame:
    """Registered leave/travel (``nip, jenis, mulai, selesai``) as one row per person and day
    inside ``days``' range: ``nip, tanggal, jenis`` (vectorised, no loop over rows)."""
    if absences.empty or not len(days):
        return pd.DataFrame({"nip": pd.Series(dtype=str), "tanggal": pd.Series(dtype="datetime64[ns]"),
                             "jenis": pd.Series(dtype=str)})
    low, high = np.datetime64(min(days), "D"), np.datetime64(max(days), "D")
    start = np.maximum(pd.to_datetime(absences["mulai"]).to_numpy().astype("datetime64[D]"), low)
    end = np.minimum(pd.to_datetime(absences["selesai"]).to_numpy().astype("datetime64[D]"), high)
    lengths = np.clip((end - start).astype(int) + 1, 0, None)
    repeated = np.repeat(np.arange(len(absences)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return pd.DataFrame({
        "nip": absences["nip"].astype(str).to_numpy()[repeated],
        "tanggal": (start[repeated] + offsets.astype("timedelta64[D]")).astype("datetime64[ns]"),
        "jenis": absences["jenis"].astype(str).to_numpy()[repeated],
    }).drop_duplicates(["nip", "tanggal"])


def attendance_days(scans: pd.DataFrame, employees: Sequence[str], days: Sequence[date],
                    absences: pd.DataFrame, rules: DisciplineRules) -> pd.DataFrame:
    """Each employee on each working day: ``nip, tanggal, masuk, pulang, terlambat_menit,
    pulang_cepat_menit, tidak_masuk, scan_tidak_lengkap, jenis_ketidakhadiran, insiden``.

    ``days`` are working days (:func:`working_days`); ``scans`` as :func:`read_export` gives
    them (duplicates allowed); ``absences`` as ``AbsenceRegister.frame()``. A registered
    absence covers the day whatever the machine says.
    """
    grid = pd.DataFrame({
        "nip": np.repeat(np.asarray(list(employees), dtype=object), len(days)),
        "tanggal": np.tile(np.asarray(list(days), dtype="datetime64[D]"), len(employees)).astype("datetime64[ns]"),
    })
    if not scans.empty:
        scans = combine_scans(scans.assign(tanggal=pd.to_datetime(scans["tanggal"])))
        grid = grid.merge(scans, on=["nip", "tanggal"], how="left")
    else:
        grid["masuk"], grid["pulang"] = np.nan, np.nan
    away = expand_absences(absences, days)
    grid = grid.merge(away, on=["nip", "tanggal"], how="left").rename(columns={"jenis": "jenis_ketidakhadiran"})

    weekday = grid["tanggal"].dt.day_of_week.to_numpy()
    starts = np.full(7, np.nan)
    ends = np.full(7, np.nan)
    for index, (begin, finish) in rules.hours.items():
        starts[index], ends[index] = begin, finish
    start, end = starts[weekday], ends[weekday]
    masuk, pulang = grid["masuk"].to_numpy(dtype=float), grid["pulang"].to_numpy(dtype=float)
    registered = grid["jenis_ketidakhadiran"].notna().to_numpy()
    has_in, has_out = ~np.isnan(masuk), ~np.isnan(pulang)
    absent = ~has_in & ~has_out & ~registered
    incomplete = (has_in ^ has_out) & ~registered
    late = np.where(has_in, np.clip(masuk - start - rules.grace_minutes, 0, None), rules.incomplete_scan_minutes)
    early = np.where(has_out, np.clip(end - pulang, 0, None), rules.incomplete_scan_minutes)
    counted = ~registered & ~absent
    grid["terlambat_menit"] = np.where(counted, late, 0).astype(int)
    grid["pulang_cepat_menit"] = np.where(counted, early, 0).astype(int)
    grid["tidak_masuk"] = absent
    grid["scan_tidak_lengkap"] = incomplete
    grid["insiden"] = absent | (grid["terlambat_menit"].to_numpy() > 0) | (grid["pulang_cepat_menit"].to_numpy() > 0)
    return grid


def describe(row: Mapping[str, Any]) -> str:
    """One incident as a supervisor reads it: ``terlambat 25 menit (masuk 07.55)``."""
    if row.get("tidak_masuk"):
        return "tidak masuk tanpa keterangan (tidak ada scan)"
    parts = []
    masuk, pulang = row.get("masuk"), row.get("pulang")
    if masuk is None or pd.isna(masuk):
        parts.append("tidak ada scan masuk")
    elif row.get("terlambat_menit"):
        parts.append(f"terlambat {row['terlambat_menit']} menit (masuk {clock_text(masuk)})")
    if pulang is None or pd.isna(pulang):
        parts.append("tidak ada scan pulang")
    elif row.get("pulang_cepat_menit"):
        parts.append(f"pulang cepat {row['pulang_cepat_menit']} menit (pulang {clock_text(pulang)})")
    return "; ".join(parts)


# --------------------------------------------------------------------------- PP 94/2021


def accumulate(incidents: pd.DataFrame, year_days: Sequence[date], rules: DisciplineRules) -> pd.DataFrame:
    """Per person over one calendar year, from the incidents not excused (``dimaafkan`` false):
    ``hari_tidak_masuk``, ``menit`` (lateness + early leave), ``hari_dari_menit`` (whole days
    of ``minutes_per_day``), ``hari_total`` and ``berturut_turut`` (longest run of unexcused
    absences on consecutive working days of ``year_days``: a weekend or holiday in between does
    not break it). Index: ``nip``.
    """
    columns = ["hari_tidak_masuk", "menit", "hari_dari_menit", "hari_total", "berturut_turut"]
    counted = incidents[~incidents["dimaafkan"].astype(bool)]
    if counted.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="nip"), dtype=int)
    absent = counted["tidak_masuk"].astype(bool)
    minutes = np.where(absent, 0, counted["terlambat_menit"] + counted["pulang_cepat_menit"])
    frame = pd.DataFrame({"nip": counted["nip"].to_numpy(), "absent": absent.to_numpy().astype(int),
                          "menit": minutes.astype(int)})
    totals = frame.groupby("nip").agg(hari_tidak_masuk=("absent", "sum"), menit=("menit", "sum"))
    totals["hari_dari_menit"] = totals["menit"] // rules.minutes_per_day
    totals["hari_total"] = totals["hari_tidak_masuk"] + totals["hari_dari_menit"]

    ordinal = pd.Series(np.arange(len(year_days)), index=pd.DatetimeIndex(pd.to_datetime(list(year_days))))
    runs = counted.loc[absent, ["nip", "tanggal"]].copy()
    runs["n"] = ordinal.reindex(pd.to_datetime(runs["tanggal"])).to_numpy()
    runs = runs.dropna(subset=["n"]).sort_values(["nip", "n"])
    if runs.empty:
        totals["berturut_turut"] = 0
    else:
        new_run = (runs["nip"] != runs["nip"].shift()) | (runs["n"].diff() != 1)
        run_id = new_run.cumsum()
        lengths = run_id.map(run_id.value_counts())
        totals["berturut_turut"] = lengths.groupby(runs["nip"].to_numpy()).max().reindex(totals.index).fillna(0)
    return totals[columns].astype(int)


def levels(totals: pd.DataFrame, rules: DisciplineRules) -> pd.DataFrame:
    """The highest threshold each person has reached (``ambang``: key or None), and whether
    the consecutive-days rule is reached (``berturut``: the consecutive threshold's key or None)."""
    bounds = np.array([t.days_from for t in rules.thresholds])
    keys = np.array([t.key for t in rules.thresholds] + [None], dtype=object)
    position = np.searchsorted(bounds, totals["hari_total"].to_numpy(), side="right") - 1
    reached = np.where(position >= 0, keys[position], None)
    consecutive = np.where(totals["berturut_turut"].to_numpy() >= rules.consecutive_days, rules.consecutive.key, None)
    frame = pd.DataFrame({"ambang": pd.Series(reached, dtype=object, index=totals.index),
                          "berturut": pd.Series(consecutive, dtype=object, index=totals.index)})
    return frame.astype(object).where(frame.notna(), None)


def new_crossings(reached: pd.DataFrame, recorded: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(nip, threshold key)`` reached and not yet recorded: the first crossing only. Someone
    who jumps two thresholds in one week gets the higher one (the lower is not sent late)."""
    done = set(recorded)
    fresh = []
    for nip, row in reached.iterrows():
        for key in (row["ambang"], row["berturut"]):
            if isinstance(key, str) and (nip, key) not in done:
                fresh.append((str(nip), str(key)))
    return fresh


def most_disciplined(days: pd.DataFrame, *, limit: int = 5, min_days: int = 1) -> pd.DataFrame:
    """Ranking for a period: fewest unexcused incidents, then fewest minutes, then most days
    present. ``days``: ``nip, tidak_masuk, terlambat_menit, pulang_cepat_menit, insiden,
    dimaafkan, hadir``. Only people with at least ``min_days`` present days."""
    counted = days.assign(
        unexcused=(days["insiden"] & ~days["dimaafkan"].astype(bool)).astype(int),
        minutes=np.where(days["dimaafkan"].astype(bool), 0, days["terlambat_menit"] + days["pulang_cepat_menit"]),
    )
    table = counted.groupby("nip").agg(insiden=("unexcused", "sum"), menit=("minutes", "sum"),
                                       hari_hadir=("hadir", "sum"))
    table = table[table["hari_hadir"] >= min_days]
    return table.sort_values(["insiden", "menit", "hari_hadir"], ascending=[True, True, False]).head(limit)


__all__ = [
    "EXCUSES", "EXPORT_COLUMNS", "NOT_EXCUSED", "UNANSWERED", "DisciplineRules", "Threshold", "accumulate",
    "attendance_days", "clock_text", "combine_scans", "describe", "expand_absences", "levels", "most_disciplined",
    "new_crossings", "parse_clock", "parse_scans", "parse_week", "previous_week", "read_export", "week_key",
    "working_days",
]
