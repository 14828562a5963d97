"""The staff directory: who holds which role, who stands in for whom, who reports to whom.

Every human step of every SOP is addressed to a *role* (``kabapas``, ``kasubsi_bkd``, ``pk``,
…), never to a named person, so that a change of staff is an edit of one spreadsheet, not of
code. The directory answers "who does this now": a person on leave is replaced by their
stand-in (Plh, the seed's *substitusi pelaksana*), following a chain of stand-ins, and an
unanswered step escalates to the acting supervisor.

The embedded default reads ``staff.csv`` from the data directory; columns are described in
``include/data/README.md``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from bapas_sop.settings import get_settings
from bapas_sop.tables import Column, LoadResult, RowError, TableError, load_table

#: Role keys and their Indonesian titles, as the SOP tables name them.
ROLE_TITLES: dict[str, str] = {
    "kabapas": "Kepala Bapas",
    "kasubsi_bka": "Kasubsi Bimbingan Klien Anak",
    "kasubsi_bkd": "Kasubsi Bimbingan Klien Dewasa",
    "pk": "Pembimbing Kemasyarakatan",
    "apk": "Asisten Pembimbing Kemasyarakatan",
    "keuangan": "Bagian Keuangan",
    "humas": "Tim Humas",
    "ketua_humas": "Ketua Humas",
    "pokja3": "Pokja 3 Zona Integritas (Manajemen SDM)",
    "staff_tu": "Staf Tata Usaha",
    "ulp": "Tim Unit Layanan Pengaduan",
    "kaur_tu": "Kepala Urusan Tata Usaha",
    "petugas_apel": "Petugas Apel dan Disiplin",
    "ppid": "Pejabat Pengelola Informasi dan Dokumentasi",
    "pegawai": "Pegawai",
}
ROLES: tuple[str, ...] = tuple(ROLE_TITLES)

#: Every active employee holds this role without it being written in the CSV.
IMPLICIT_ROLE = "pegawai"

#: Roles that at most one active person may hold at a time (the directory refuses two).
SINGLE_HOLDER_ROLES: frozenset[str] = frozenset({"kabapas", "kasubsi_bka", "kasubsi_bkd", "ketua_humas", "kaur_tu"})

#: Section keys (column ``seksi``) and their Indonesian names.
SECTIONS: dict[str, str] = {
    "pimpinan": "Pimpinan",
    "bka": "Subseksi Bimbingan Klien Anak",
    "bkd": "Subseksi Bimbingan Klien Dewasa",
    "tu": "Urusan Tata Usaha",
    "keuangan": "Urusan Keuangan",
    "humas": "Hubungan Masyarakat",
}

#: The Kasubsi role that leads each client-guidance section.
SECTION_KASUBSI_ROLE: dict[str, str] = {"bka": "kasubsi_bka", "bkd": "kasubsi_bkd"}

STAFF_FILE = "staff.csv"
STAFF_TABLE_LABEL = "daftar pegawai"

STAFF_COLUMNS: tuple[Column, ...] = (
    Column("nip", required=True, kind="nip", unique=True),
    Column("nama", required=True),
    Column("email", required=True, kind="email", unique=True),
    Column("telepon"),
    Column("peran", kind="choice", choices=ROLES, separator="|"),
    Column("seksi", required=True, kind="choice", choices=tuple(SECTIONS)),
    Column("atasan_nip", kind="nip"),
    Column("aktif", kind="bool", default=True),
    Column("cuti", kind="bool", default=False),
    Column("pengganti_nip", kind="nip"),
    Column("jabatan"),
)


class DirectoryError(LookupError):
    """A question the directory cannot answer (unknown NIP, role nobody holds, …)."""

    def __str__(self) -> str:  # LookupError would show the message quoted, like a dict key
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Person:
    """One employee as the directory knows them.

    ``roles`` are the roles written in the CSV; use :meth:`has_role` to also count the
    implicit ``pegawai`` role of every active employee.
    """

    nip: str
    name: str
    email: str
    phone: str | None = None
    roles: tuple[str, ...] = ()
    section: str = "tu"
    supervisor_nip: str | None = None
    active: bool = True
    on_leave: bool = False
    stand_in_nip: str | None = None
    title: str | None = None

    @property
    def available(self) -> bool:
        """Can take a task now: still employed and not on leave."""
        return self.active and not self.on_leave

    def has_role(self, role: str) -> bool:
        if role == IMPLICIT_ROLE:
            return self.active
        return role in self.roles

    @property
    def role_titles(self) -> tuple[str, ...]:
        return tuple(ROLE_TITLES[r] for r in self.roles if r in ROLE_TITLES)


@dataclass(frozen=True)
class Assignment:
    """Who does a step, and whom they replace (``original``) when a stand-in takes it."""

    person: Person
    original: Person | None = None

    @property
    def is_substitute(self) -> bool:
        return self.original is not None


def default_staff_path() -> Path:
    return get_settings().data_dir / STAFF_FILE


def read_staff(path_or_buffer: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None) -> LoadResult:
    """Load and check the staff CSV without refusing it: for a report of what to fix.

    Adds the checks that need the whole table (unknown supervisor or stand-in, a role held
    twice) to the per-cell checks; rows with errors are left out of ``rows``.
    """
    result = load_table(
        default_staff_path() if path_or_buffer is None else path_or_buffer,
        STAFF_COLUMNS,
        table_label=STAFF_TABLE_LABEL,
    )
    if result.raw.empty and not result.ok:
        return result
    people = people_from_rows(result.rows)
    row_of = {p.nip: int(row) for p, row in zip(people, result.rows.index)}
    # NIPs written on rows refused for another reason still exist: do not call them unknown.
    typed_nips = {re.sub(r"\s+", "", str(n)) for n in result.raw["nip"] if n}
    errors, warnings = check_people(people, row_of=row_of, other_nips=typed_nips)
    result.add_errors(errors)
    result.warnings.extend(warnings)
    return result


def people_from_rows(rows: pd.DataFrame) -> list[Person]:
    """Valid rows of :data:`STAFF_COLUMNS` → people, in file order."""
    return [
        Person(
            nip=r["nip"],
            name=r["nama"],
            email=r["email"],
            phone=r["telepon"],
            roles=tuple(r["peran"]),
            section=r["seksi"],
            supervisor_nip=r["atasan_nip"],
            active=bool(r["aktif"]),
            on_leave=bool(r["cuti"]),
            stand_in_nip=r["pengganti_nip"],
            title=r["jabatan"],
        )
        for r in rows.to_dict("records")
    ]


def check_people(
    people: Iterable[Person],
    *,
    row_of: Mapping[str, int] | None = None,
    other_nips: Iterable[str] = (),
) -> tuple[list[RowError], list[str]]:
    """Checks across rows: references to other people, single-holder roles, leave.

    Returns errors (the directory cannot be used) and warnings (it can, but someone should
    look). ``row_of`` gives spreadsheet rows; without it a message names the person instead.
    """
    people = list(people)
    row_of = row_of or {}
    by_nip: dict[str, Person] = {}
    errors: list[RowError] = []
    warnings: list[str] = []

    def error(person: Person, column: str | None, message: str) -> None:
        row = row_of.get(person.nip)
        if row is None:
            message = f"NIP {person.nip} ({person.name}): {message}"
        errors.append(RowError(row, column, message))

    for person in people:
        if person.nip in by_nip:
            error(person, "nip", f"'{person.nip}' sudah dipakai oleh {by_nip[person.nip].name}.")
        else:
            by_nip[person.nip] = person
        unknown = [r for r in person.roles if r not in ROLE_TITLES]
        if unknown:
            error(person, "peran", f"peran tidak dikenal: {', '.join(unknown)}.")
        if person.section not in SECTIONS:
            error(person, "seksi", f"seksi tidak dikenal: '{person.section}'.")

    known = set(by_nip) | set(other_nips)
    references = (
        ("atasan_nip", "supervisor_nip", "atasan"),
        ("pengganti_nip", "stand_in_nip", "pengganti"),
    )
    for person in people:
        for column, attribute, what in references:
            nip = getattr(person, attribute)
            if nip is None:
                continue
            if nip == person.nip:
                error(person, column, f"{what} tidak boleh orang itu sendiri.")
            elif nip not in known:
                error(person, column, f"NIP {what} '{nip}' tidak ada di {STAFF_TABLE_LABEL}.")
            elif nip in by_nip and person.active and not by_nip[nip].active:
                error(
                    person,
                    column,
                    f"{what} {by_nip[nip].name} ({nip}) sudah tidak aktif; isi dengan yang sekarang bertugas.",
                )

    holders: dict[str, Person] = {}
    for person in people:
        if not person.active:
            continue
        for role in person.roles:
            if role not in SINGLE_HOLDER_ROLES:
                continue
            if role in holders:
                first = holders[role]
                where = f"baris {row_of[first.nip]}" if first.nip in row_of else f"NIP {first.nip}"
                error(
                    person,
                    "peran",
                    f"peran {role} ({ROLE_TITLES[role]}) sudah dipegang {first.name} ({where}); "
                    "peran ini hanya untuk satu pegawai aktif.",
                )
            else:
                holders[role] = person

    for person in people:
        if person.active and person.on_leave and person.stand_in_nip is None:
            warnings.append(
                f"{person.name} ({person.nip}) sedang cuti tanpa pengganti; tugasnya dialihkan ke atasannya."
            )
        if person.active and person.supervisor_nip is None and "kabapas" not in person.roles:
            warnings.append(
                f"{person.name} ({person.nip}) tidak punya atasan; tugas yang terlambat tidak bisa dieskalasi."
            )
    return errors, warnings


class Directory:
    """Answers who holds a role and who acts for whom; immutable once built."""

    def __init__(self, people: Iterable[Person], *, source: str = "") -> None:
        """Build from people (e.g. in tests); refuses inconsistent data with :class:`TableError`."""
        self._people: tuple[Person, ...] = tuple(people)
        self.source = source
        errors, warnings = check_people(self._people)
        if errors:
            raise TableError(STAFF_TABLE_LABEL, source, errors)
        self.warnings: list[str] = warnings
        self._by_nip = {p.nip: p for p in self._people}
        self._by_email = {p.email.lower(): p for p in self._people}
        self.warnings.extend(self._cycle_warnings())

    @classmethod
    def load(cls, path: str | os.PathLike[str] | IO[str] | IO[bytes] | None = None) -> Directory:
        """Load the staff CSV (default ``<data_dir>/staff.csv``); :class:`TableError` lists every bad row."""
        result = read_staff(path).raise_if_errors()
        directory = cls(people_from_rows(result.rows), source=result.source)
        directory.warnings[:0] = result.warnings
        return directory

    # --- plain lookups -------------------------------------------------------------------

    @property
    def people(self) -> tuple[Person, ...]:
        """Everyone in file order, inactive people included."""
        return self._people

    def __len__(self) -> int:
        return len(self._people)

    def __iter__(self) -> Iterator[Person]:
        return iter(self._people)

    def __contains__(self, nip: object) -> bool:
        return isinstance(nip, str) and _clean_nip(nip) in self._by_nip

    def find(self, nip: str | None) -> Person | None:
        if nip is None:
            return None
        return self._by_nip.get(_clean_nip(nip))

    def get(self, nip: str) -> Person:
        person = self.find(nip)
        if person is None:
            raise DirectoryError(f"Pegawai dengan NIP {nip} tidak ada di {STAFF_TABLE_LABEL}.")
        return person

    def by_email(self, email: str) -> Person | None:
        return self._by_email.get(email.strip().lower())

    def active_employees(self) -> list[Person]:
        """Everyone still employed, on leave or not, in file order."""
        return [p for p in self._people if p.active]

    def by_role(self, role: str, *, include_on_leave: bool = False) -> list[Person]:
        """Active holders of ``role`` in file order; those on leave only when asked.

        ``pegawai`` is every active employee, with the same on-leave rule as any role.
        """
        _check_role(role)
        return [
            p
            for p in self._people
            if p.active and p.has_role(role) and (include_on_leave or not p.on_leave)
        ]

    def one(self, role: str) -> Person:
        """The single active holder of ``role`` (on leave or not): e.g. the Kabapas."""
        holders = self.by_role(role, include_on_leave=True)
        if not holders:
            raise DirectoryError(
                f"Tidak ada pegawai aktif dengan peran {ROLE_TITLES[role]} ({role}) di {STAFF_TABLE_LABEL}"
                f"{_in(self.source)}; isi kolom peran untuk satu pegawai."
            )
        if len(holders) > 1:
            names = ", ".join(p.name for p in holders)
            raise DirectoryError(
                f"Peran {ROLE_TITLES[role]} ({role}) dipegang {len(holders)} pegawai aktif ({names}); "
                "yang diminta hanya satu orang."
            )
        return holders[0]

    # --- who acts --------------------------------------------------------------------------

    def acting_for(self, person: Person | str) -> Person:
        """Who acts for ``person`` now: the person, or their stand-in (Plh) if away.

        Follows the chain of stand-ins (a stand-in on leave hands on to their own); where the
        chain ends or loops, the acting supervisor takes over, as in the office; if nobody
        at all is available, the person themself (their step then escalates as usual).
        """
        return self._resolve(self._person(person))[0]

    def assignment_for(self, person: Person | str) -> Assignment:
        original = self._person(person)
        acting = self.acting_for(original)
        return Assignment(acting, None if acting.nip == original.nip else original)

    def assignee_for_role(self, role: str) -> Assignment:
        """Who does a step addressed to a single-holder role (e.g. ``kabapas``) now."""
        return self.assignment_for(self.one(role))

    def assignees_for_role(self, role: str) -> list[Assignment]:
        """Everyone who does a step addressed to a whole team (e.g. ``humas``), once each.

        Holders on leave are replaced by their stand-ins; a stand-in who is already on the
        list is not added twice.
        """
        seen: set[str] = set()
        assignments = []
        for holder in self.by_role(role, include_on_leave=True):
            assignment = self.assignment_for(holder)
            if assignment.person.nip not in seen:
                seen.add(assignment.person.nip)
                assignments.append(assignment)
        return assignments

    def supervisor_of(self, nip: str | Person) -> Person | None:
        """Who a step escalates to: the acting supervisor, never the person themself.

        When the person is the stand-in of their own supervisor, the escalation goes one
        level higher. None at the top (the Kabapas).
        """
        person = self._person(nip)
        seen = {person.nip}
        boss_nip = person.supervisor_nip
        while boss_nip is not None and boss_nip not in seen:
            seen.add(boss_nip)
            boss = self.get(boss_nip)
            acting = self.acting_for(boss)
            if acting.nip != person.nip:
                return acting
            boss_nip = boss.supervisor_nip
        return None

    # --- sections ----------------------------------------------------------------------------

    def pks_in_section(self, section: str, *, include_on_leave: bool = False) -> list[Person]:
        """The PK and APK of a section (``bka``/``bkd``), active, in file order."""
        _check_section(section)
        return [
            p
            for p in self._people
            if p.active
            and p.section == section
            and (p.has_role("pk") or p.has_role("apk"))
            and (include_on_leave or not p.on_leave)
        ]

    def kasubsi_for_section(self, section: str) -> Person:
        """The Kasubsi who leads ``bka`` or ``bkd`` (the holder; use :meth:`acting_for` for Plh)."""
        return self.one(kasubsi_role_for_section(section))

    # --- internals -----------------------------------------------------------------------

    def _person(self, person: Person | str) -> Person:
        return self.get(person) if isinstance(person, str) else self.get(person.nip)

    def _resolve(self, start: Person) -> tuple[Person, bool]:
        """Walk stand-ins, then supervisors, until someone is available; report loops."""
        current = start
        seen = {start.nip}
        looped = False
        while not current.available:
            step = None
            for candidate in (current.stand_in_nip, current.supervisor_nip):
                if candidate is None or candidate not in self._by_nip:
                    continue
                if candidate in seen:
                    looped = True
                    continue
                step = candidate
                break
            if step is None:
                return start, looped
            seen.add(step)
            current = self._by_nip[step]
        return current, looped

    def _cycle_warnings(self) -> list[str]:
        warnings = []
        for person in self._people:
            if not (person.active and person.on_leave):
                continue
            acting, looped = self._resolve(person)
            if looped:
                warnings.append(
                    f"Rantai pengganti {person.name} ({person.nip}) berputar kembali ke orang yang "
                    f"sedang cuti; tugasnya dialihkan ke {acting.name}."
                )
        return warnings


def kasubsi_role_for_section(section: str) -> str:
    """``bka`` → ``kasubsi_bka``, ``bkd`` → ``kasubsi_bkd``; other sections have no Kasubsi."""
    _check_section(section)
    try:
        return SECTION_KASUBSI_ROLE[section]
    except KeyError:
        raise DirectoryError(
            f"Seksi {SECTIONS[section]} ({section}) tidak dipimpin Kasubsi bimbingan klien; "
            f"yang ada: {', '.join(SECTION_KASUBSI_ROLE)}."
        ) from None


@dataclass
class _CacheEntry:
    stamp: tuple[int, int]
    directory: Directory


_cache: dict[Path, _CacheEntry] = {}
_cache_lock = threading.Lock()


def get_directory(path: str | os.PathLike[str] | None = None) -> Directory:
    """The directory of ``path`` (default ``<data_dir>/staff.csv``), re-read when the file changes.

    Long-running processes (the forms web app, the triggerer) call this on every use and see
    an edit of the CSV without a restart; an unchanged file is not parsed again. A broken
    edit raises :class:`TableError` until it is fixed.
    """
    target = Path(path) if path is not None else default_staff_path()
    try:
        stat = target.stat()
    except FileNotFoundError:
        return Directory.load(target)  # reports the missing file in the usual way
    stamp = (stat.st_mtime_ns, stat.st_size)
    key = target.resolve()
    with _cache_lock:
        entry = _cache.get(key)
        if entry is not None and entry.stamp == stamp:
            return entry.directory
        directory = Directory.load(target)
        _cache[key] = _CacheEntry(stamp, directory)
        return directory


def _check_role(role: str) -> None:
    if role not in ROLE_TITLES:
        raise DirectoryError(f"Peran tidak dikenal: '{role}'; yang ada: {', '.join(ROLES)}.")


def _check_section(section: str) -> None:
    if section not in SECTIONS:
        raise DirectoryError(f"Seksi tidak dikenal: '{section}'; yang ada: {', '.join(SECTIONS)}.")


def _clean_nip(nip: str) -> str:
    return re.sub(r"\s+", "", nip)


def _in(source: str) -> str:
    return f" ({source})" if source else ""
