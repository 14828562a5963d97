"""Leave and official travel with their dates: who is away on a given day.

``staff.csv``'s ``cuti`` column says who is away *now* (for handing a task to a stand-in).
Planning a duty roster or judging a week's attendance needs more: who is away on which
days. That is this register, ``cuti.csv`` in the data directory, one row per absence with
its first and last day, validated like every other table (each bad row named in Indonesian).
The file is optional: without it nobody has planned leave.

Used by the holiday-duty rotation (nobody on leave that day) and by attendance (leave and
official travel are not absences); plain data, no Airflow, no database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

import pandas as pd

from bapas_sop.settings import get_settings
from bapas_sop.tables import Column, LoadResult, RowError, TableError, load_table

ABSENCES_FILE = "cuti.csv"
ABSENCES_TABLE_LABEL = "daftar cuti dan dinas luar"

#: Kinds of absence (column ``jenis``) and how they read in Indonesian.
ABSENCE_KINDS: dict[str, str] = {
    "cuti": "Cuti",
    "sakit": "Sakit",
    "izin": "Izin",
    "dinas_luar": "Dinas luar (perjalanan dinas)",
    "tugas_belajar": "Tugas belajar",
}

ABSENCE_COLUMNS: tuple[Column, ...] = (
    Column("nip", required=True, kind="nip"),
    Column("jenis", required=True, kind="choice", choices=tuple(ABSENCE_KINDS)),
    Column("mulai", required=True, kind="date"),
    Column("selesai", required=True, kind="date"),
    Column("keterangan"),
)


@dataclass(frozen=True)
class Absence:
    """One person away from ``first`` to ``last`` (both days included)."""

    nip: str
    kind: str
    first: date
    last: date
    note: str = ""

    def covers(self, day: date) -> bool:
        return self.first <= day <= self.last

    def overlaps(self, first: date, last: date) -> bool:
        return self.first <= last and first <= self.last

    @property
    def kind_title(self) -> str:
        return ABSENCE_KINDS.get(self.kind, self.kind)


class AbsenceRegister:
    """Every planned absence; answers "is this person away on that day"."""

    def __init__(self, absences: Iterable[Absence] = (), *, source: str = "") -> None:
        self._absences = tuple(sorted(absences, key=lambda a: (a.first, a.nip)))
        self.source = source
        self._by_nip: dict[str, list[Absence]] = {}
        for item in self._absences:
            self._by_nip.setdefault(item.nip, []).append(item)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None,
             *, known_nips: Iterable[str] | None = None) -> AbsenceRegister:
        """Load ``cuti.csv``; :class:`TableError` lists every bad row. A missing default file is empty."""
        if path is None and not default_absences_path().exists():
            return cls(source=str(default_absences_path()))
        result = read_absences(path, known_nips=known_nips).raise_if_errors()
        return cls(absences_from_rows(result.rows), source=result.source)

    def __iter__(self) -> Iterator[Absence]:
        return iter(self._absences)

    def __len__(self) -> int:
        return len(self._absences)

    def of(self, nip: str) -> tuple[Absence, ...]:
        """Every absence of one person, earliest first."""
        return tuple(self._by_nip.get(nip, ()))

    def absence_on(self, nip: str, day: date) -> Absence | None:
        """The absence that covers ``day`` for ``nip``, or None if they are expected at work."""
        return next((a for a in self._by_nip.get(nip, ()) if a.covers(day)), None)

    def is_away(self, nip: str, day: date) -> bool:
        return self.absence_on(nip, day) is not None

    def between(self, first: date, last: date) -> list[Absence]:
        """Absences that touch the period ``first``..``last``."""
        return [a for a in self._absences if a.overlaps(first, last)]

    def frame(self, first: date | None = None, last: date | None = None) -> pd.DataFrame:
        """One row per absence (``nip``, ``jenis``, ``mulai``, ``selesai``), for pandas joins."""
        items = self._absences if first is None or last is None else self.between(first, last)
        return pd.DataFrame(
            [{"nip": a.nip, "jenis": a.kind, "mulai": a.first, "selesai": a.last} for a in items],
            columns=["nip", "jenis", "mulai", "selesai"],
        )


def default_absences_path() -> Path:
    return get_settings().data_dir / ABSENCES_FILE


def read_absences(path_or_buffer: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None,
                  *, known_nips: Iterable[str] | None = None) -> LoadResult:
    """Load and check the register without refusing it (for a report of what to fix).

    Beyond each cell: the last day may not be before the first, and with ``known_nips`` (the
    staff directory) every NIP must be an employee's.
    """
    result = load_table(
        default_absences_path() if path_or_buffer is None else path_or_buffer,
        ABSENCE_COLUMNS,
        table_label=ABSENCES_TABLE_LABEL,
    )
    known = set(known_nips) if known_nips is not None else None
    errors = []
    for row, record in result.rows.iterrows():
        if record["selesai"] < record["mulai"]:
            errors.append(RowError(int(row), "selesai", "tanggal selesai sebelum tanggal mulai; periksa urutannya."))
        if known is not None and record["nip"] not in known:
            errors.append(RowError(int(row), "nip", f"NIP {record['nip']} tidak ada di daftar pegawai."))
    result.add_errors(errors)
    return result


def absences_from_rows(rows: pd.DataFrame) -> list[Absence]:
    return [
        Absence(nip=r["nip"], kind=r["jenis"], first=r["mulai"], last=r["selesai"], note=r["keterangan"] or "")
        for r in rows.to_dict("records")
    ]


_cache: dict[Path, tuple[tuple[int, int], AbsenceRegister]] = {}
_cache_lock = threading.Lock()


def get_absences(path: str | os.PathLike[str] | None = None) -> AbsenceRegister:
    """The register of ``path`` (default ``<data_dir>/cuti.csv``), re-read when the file changes.

    A missing file is an empty register; a broken one raises :class:`TableError` until fixed.
    NIPs are checked against the staff directory of the same data folder.
    """
    from bapas_sop.directory import get_directory

    target = Path(path) if path is not None else default_absences_path()
    try:
        stat = target.stat()
    except FileNotFoundError:
        return AbsenceRegister(source=str(target))
    stamp = (stat.st_mtime_ns, stat.st_size)
    key = target.resolve()
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        known = [p.nip for p in get_directory().people]
        register = AbsenceRegister.load(target, known_nips=known)
        _cache[key] = (stamp, register)
        return register


__all__ = [
    "ABSENCE_KINDS",
    "Absence",
    "AbsenceRegister",
    "TableError",
    "get_absences",
    "read_absences",
]
