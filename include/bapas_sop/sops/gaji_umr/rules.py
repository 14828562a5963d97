"""Gaji UMR (Gerakan Bapas Jambi Untuk Masyarakat): the monthly social activity, as plain rules.

No Airflow and no database here: the client register (``klien.csv``, validated), the fair
rotation that proposes the month's clients, the suggested activity and date, and the dates
the steps are due. :mod:`bapas_sop.sops.gaji_umr.flow` applies them to the run.

**Eligible**: an active client (``aktif``) who has received guidance (``bimbingan_diterima``)
in the chosen section. **Rotation** (:func:`rank_clients`), fewest participations first, so
that nobody takes part a second time before every eligible client took part once; among
equals, those not chosen in the last ``cooldown_months`` months first, then the longest
since their last participation (never first), then a tie-break that is fixed for the month
but not alphabetical (a hash of month and client id). A client counts as *chosen* once they
confirmed (then attended or not); a client who declined or could not be reached keeps their
place and is proposed again next month.

The register carries what happened before the system (``jumlah_dipilih``,
``terakhir_dipilih``); the system's own participation records are added on top.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

import pandas as pd

from bapas_sop.tables import Column, LoadResult, RowError, load_table

REGISTER_FILE = "klien.csv"
REGISTER_LABEL = "daftar klien"
SECTIONS = ("bka", "bkd")
CATEGORIES = ("anak", "dewasa")

REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("id_klien", required=True, unique=True),
    Column("nama", required=True),
    Column("kategori", required=True, kind="choice", choices=CATEGORIES),
    Column("seksi", required=True, kind="choice", choices=SECTIONS),
    Column("pk_nip", required=True, kind="nip"),
    Column("aktif", kind="bool", default=True),
    Column("bimbingan_diterima", kind="bool", default=False),
    Column("terakhir_dipilih"),
    Column("jumlah_dipilih", kind="int", default=0),
    Column("telepon"),
)

#: Statuses of a participation record; the first three count as "chosen" for the rotation.
CONFIRMED, ATTENDED, ABSENT = "dikonfirmasi", "hadir", "tidak_hadir"
DECLINED, UNREACHABLE = "menolak", "tidak_terhubung"
CHOSEN_STATUSES = (CONFIRMED, ATTENDED, ABSENT)
STATUS_LABELS = {
    CONFIRMED: "bersedia hadir",
    ATTENDED: "hadir",
    ABSENT: "tidak hadir",
    DECLINED: "menolak/berhalangan",
    UNREACHABLE: "tidak dapat dihubungi",
}

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)

#: Suggested activities (what, where), taken in turn month by month.
SUGGESTED_ACTIVITIES: tuple[tuple[str, str], ...] = (
    ("Jumat Bersih: kerja bakti membersihkan masjid dan lingkungannya", "Masjid di sekitar kantor Bapas"),
    ("Bakti sosial dan berbagi bersama anak panti asuhan", "Panti asuhan di Kota Jambi"),
    ("Penanaman pohon dan penghijauan lingkungan", "Ruang terbuka hijau Kota Jambi"),
    ("Kerja bakti membersihkan fasilitas umum", "Pasar tradisional di Kota Jambi"),
    ("Berbagi paket sembako kepada warga kurang mampu", "Kelurahan di sekitar kantor Bapas"),
    ("Membersihkan tempat ibadah dan makam umum", "Tempat pemakaman umum di Kota Jambi"),
)


# --------------------------------------------------------------------------- months


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-11"`` -> ``(2026, 11)``; an Indonesian error otherwise."""
    match = re.fullmatch(r"\s*(\d{4})-(0?[1-9]|1[0-2])\s*", str(text or ""))
    if not match:
        raise ValueError(f"Bulan '{text}' tidak dikenali; tulis seperti 2026-11 (tahun-bulan).")
    return int(match.group(1)), int(match.group(2))


def month_index(text: str) -> int:
    year, month = parse_month(text)
    return year * 12 + month - 1


def month_label(text: str) -> str:
    year, month = parse_month(text)
    return f"{MONTHS_ID[month - 1]} {year}"


def add_months(text: str, n: int) -> str:
    index = month_index(text) + n
    return month_key(index // 12, index % 12 + 1)


def month_for_run(chosen: str | None, data_interval_start: datetime | None, logical_date: datetime | None) -> str:
    """The month a run plans: the admin's choice, else the month the run's interval starts
    (the scheduled run on the month's first working day), else the run's own month (WIB)."""
    if chosen:
        return month_key(*parse_month(chosen))
    from bapas_sop.calendar import wib_date

    moment = data_interval_start or logical_date
    if moment is None:
        raise ValueError("Bulan tidak dapat ditentukan: isi parameter bulan, mis. 2026-11.")
    day = wib_date(moment)
    return month_key(day.year, day.month)


# --------------------------------------------------------------------------- register


def default_register_path() -> Path:
    from bapas_sop.settings import get_settings

    return get_settings().data_dir / REGISTER_FILE


def read_register(
    path_or_buffer: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None,
    *,
    known_pk: Iterable[str] | None = None,
) -> LoadResult:
    """Load and check the client register; bad rows are listed (Indonesian, with row numbers)
    and left out. ``known_pk``: NIPs of the staff directory, to refuse a client whose PK is
    not in it (nobody could contact them)."""
    result = load_table(
        default_register_path() if path_or_buffer is None else path_or_buffer,
        REGISTER_COLUMNS,
        table_label=REGISTER_LABEL,
    )
    errors = []
    for row, record in result.rows.iterrows():
        last = record["terakhir_dipilih"]
        if last:
            try:
                parse_month(last)
            except ValueError:
                errors.append(RowError(int(row), "terakhir_dipilih", f"bulan '{last}' tidak dikenali; tulis seperti 2026-05."))
        if record["jumlah_dipilih"] is not None and record["jumlah_dipilih"] < 0:
            errors.append(RowError(int(row), "jumlah_dipilih", "tidak boleh negatif."))
        if known_pk is not None and record["pk_nip"] not in set(known_pk):
            errors.append(RowError(int(row), "pk_nip", f"PK dengan NIP {record['pk_nip']} tidak ada di daftar pegawai."))
    result.add_errors(errors)
    return result


def register_frame(result: LoadResult) -> pd.DataFrame:
    """Valid rows as a frame indexed by ``id_klien``, with normalised types."""
    rows = result.rows.copy()
    rows["aktif"] = rows["aktif"].astype(bool)
    rows["bimbingan_diterima"] = rows["bimbingan_diterima"].astype(bool)
    rows["jumlah_dipilih"] = rows["jumlah_dipilih"].fillna(0).astype(int)
    rows["terakhir_dipilih"] = rows["terakhir_dipilih"].map(lambda v: month_key(*parse_month(v)) if v else None)
    return rows.set_index("id_klien", drop=False)


# --------------------------------------------------------------------------- rotation


def history_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Participation records ``{"client_id", "month", "status"}`` as a frame."""
    return pd.DataFrame(list(rows), columns=["client_id", "month", "status"])


def participation_stats(register: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Per client: ``times`` chosen and ``last`` month chosen (register + records)."""
    chosen = history[history["status"].isin(CHOSEN_STATUSES)]
    # One record per client and month counts once, whatever was recorded after it.
    chosen = chosen.drop_duplicates(["client_id", "month"])
    counted = chosen.groupby("client_id")["month"].agg(["count", "max"])
    stats = pd.DataFrame(index=register.index)
    stats["times"] = (register["jumlah_dipilih"] + counted["count"].reindex(register.index, fill_value=0)).astype(int)
    from_register = [_month_or_none(m) for m in register["terakhir_dipilih"]]
    from_history = [_month_or_none(m) for m in counted["max"].reindex(register.index)]
    stats["last"] = pd.Series(
        [max((m for m in pair if m), default=None) for pair in zip(from_register, from_history, strict=True)],
        index=register.index, dtype=object,
    )
    # A register that names a last month but no count: that one participation counts.
    stats.loc[stats["times"].eq(0) & stats["last"].notna(), "times"] = 1
    return stats


def _month_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def eligible(register: pd.DataFrame, section: str | None = None) -> pd.DataFrame:
    mask = register["aktif"] & register["bimbingan_diterima"]
    if section:
        mask &= register["seksi"] == section
    return register[mask]


def rank_clients(
    register: pd.DataFrame,
    history: pd.DataFrame,
    month: str,
    *,
    section: str | None = None,
    cooldown_months: int = 2,
) -> pd.DataFrame:
    """Eligible clients in the order they should be invited this ``month`` (see module doc).

    Columns: ``id_klien``, ``nama``, ``pk_nip``, ``times``, ``last``, ``recent`` (chosen in
    the last ``cooldown_months`` months), ``months_since`` (None when never chosen).
    """
    pool = eligible(register, section)
    stats = participation_stats(register, history).loc[pool.index]
    current = month_index(month)
    lasts = [_month_or_none(m) for m in stats["last"]]
    since = pd.Series([None if m is None else current - month_index(m) for m in lasts],
                      index=stats.index, dtype=object)
    frame = pool[["id_klien", "nama", "pk_nip", "seksi", "kategori"]].copy()
    frame["times"] = stats["times"].astype(int)
    frame["last"] = pd.Series(lasts, index=stats.index, dtype=object)
    frame["months_since"] = since
    frame["recent"] = [s is not None and 0 <= s <= cooldown_months for s in since]
    # Never chosen sorts as "longest ago".
    frame["_age"] = [10**6 if s is None else s for s in since]
    frame["_tiebreak"] = frame["id_klien"].map(lambda cid: _tiebreak(month, cid))
    frame = frame.sort_values(["times", "recent", "_age", "_tiebreak"], ascending=[True, True, False, True], kind="mergesort")
    return frame.drop(columns=["_age", "_tiebreak"]).reset_index(drop=True)


def _tiebreak(month: str, client_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{month}:{client_id}".encode(), digest_size=8).digest(), "big")


def propose(ranked: pd.DataFrame, n: int) -> list[str]:
    """The first ``n`` of the ranking."""
    return [str(x) for x in ranked["id_klien"].head(n)]


def next_candidate(ranked: pd.DataFrame, excluded: Iterable[str]) -> str | None:
    """The best-ranked client not yet asked or chosen this month (a decline's replacement)."""
    skip = set(excluded)
    for client_id in ranked["id_klien"]:
        if client_id not in skip:
            return str(client_id)
    return None


# --------------------------------------------------------------------------- activity and dates


@dataclass(frozen=True)
class Suggestion:
    activity: str
    place: str
    day: date
    start: str = "08.00"

    def as_answer(self) -> dict[str, Any]:
        return {"kegiatan": self.activity, "tempat": self.place, "tanggal": self.day.isoformat(), "jam": self.start,
                "catatan": None}


def suggest_activity(month: str, today: date | None = None) -> Suggestion:
    """An activity in turn, on the month's second Friday (Jumat bersih), or the first working
    day after it; never before ``today``."""
    from bapas_sop.calendar import working_day_on_or_after

    year, number = parse_month(month)
    activity, place = SUGGESTED_ACTIVITIES[month_index(month) % len(SUGGESTED_ACTIVITIES)]
    first = date(year, number, 1)
    first_friday = first + timedelta(days=(4 - first.weekday()) % 7)
    day = working_day_on_or_after(first_friday + timedelta(days=7))
    if today is not None and day <= today:
        day = working_day_on_or_after(today + timedelta(days=3))
    return Suggestion(activity, place, day)


def contact_due(now: datetime, activity_day: date) -> datetime:
    """When a PK must have contacted their client: in two days, and at the latest the working
    day before the activity at 16.00 WIB, but never sooner than four hours from now."""
    from bapas_sop.calendar import WIB, previous_working_day, to_wib

    local = to_wib(now)
    latest = datetime.combine(previous_working_day(activity_day), time(16, 0), tzinfo=WIB)
    due = min(local + timedelta(days=2), latest)
    return max(due, local + timedelta(hours=4))


def attendance_due(activity_day: date) -> datetime:
    """The attendance is due the working day after the activity, 16.00 WIB."""
    from bapas_sop.calendar import WIB, next_working_day

    return datetime.combine(next_working_day(activity_day), time(16, 0), tzinfo=WIB)


__all__ = [
    "ABSENT",
    "ATTENDED",
    "CHOSEN_STATUSES",
    "CONFIRMED",
    "DECLINED",
    "REGISTER_COLUMNS",
    "STATUS_LABELS",
    "UNREACHABLE",
    "Suggestion",
    "add_months",
    "attendance_due",
    "contact_due",
    "eligible",
    "history_frame",
    "month_for_run",
    "month_label",
    "next_candidate",
    "parse_month",
    "participation_stats",
    "propose",
    "rank_clients",
    "read_register",
    "register_frame",
    "suggest_activity",
]
