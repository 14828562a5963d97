"""The demo staff of ``include/data/staff.csv`` as named people, for every test.

Tests name people by who they are in the demo office (``KABAPAS``, ``RINA``), never by a
copied NIP or email: ``KABAPAS.nip`` where a step records a NIP, ``KABAPAS.email`` where an
email goes, ``KABAPAS.name`` where a page shows the name. Each record is read from the staff
table by its NIP, so the NIP is written once (here) and the rest cannot drift from the file;
a NIP no longer in the table fails at import with its name.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STAFF_CSV = Path(__file__).resolve().parents[2] / "include" / "data" / "staff.csv"


@dataclass(frozen=True)
class Person:
    """One row of the demo staff table (columns in English)."""

    nip: str
    name: str
    email: str
    roles: tuple[str, ...]
    section: str
    supervisor_nip: str | None
    active: bool
    on_leave: bool
    stand_in_nip: str | None
    title: str

    def __str__(self) -> str:
        return f"{self.name} ({self.nip})"


@cache
def _rows() -> dict[str, Person]:
    with STAFF_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(line for line in handle if not line.startswith("#"))]
    return {
        row["nip"]: Person(
            nip=row["nip"], name=row["nama"], email=row["email"], roles=tuple(row["peran"].split("|")),
            section=row["seksi"], supervisor_nip=row["atasan_nip"] or None, active=row["aktif"] == "ya",
            on_leave=row["cuti"] == "ya", stand_in_nip=row["pengganti_nip"] or None, title=row["jabatan"],
        )
        for row in rows
    }


def person(nip: str) -> Person:
    """The demo staff member with this NIP (a KeyError names a NIP the table lost)."""
    try:
        return _rows()[nip]
    except KeyError:
        raise KeyError(f"NIP {nip} is not in {STAFF_CSV}") from None


def by_email(email: str) -> Person:
    return next(p for p in _rows().values() if p.email == email)


def everyone() -> tuple[Person, ...]:
    """Every row of the table, in file order (the inactive one included)."""
    return tuple(_rows().values())


KABAPAS = person("197408121999031002")  # Hendra Gunawan Siregar, Kepala Bapas
KASUBSI_BKA = person("198004152005022001")  # Sri Wahyuni
KASUBSI_BKD = person("197811032003121002")  # Ahmad Fauzi Nasution
RINA = person("198607212010122003")  # PK, BKA
DEDI = person("198903052014031001")  # PK, BKA
PUTRI = person("199209182017122004")  # PK, BKA
RIZKI = person("199501272019061003")  # APK, BKA
YULIANA = person("198706142011012002")  # PK, BKD, on leave; her stand-in is Bambang
BAMBANG = person("198409092009121001")  # PK, BKD, Yuliana's stand-in
SITI = person("199005022015032005")  # PK, BKD
FAJAR = person("199602112020011002")  # APK and ULP, BKD
DEWI = person("198203302006042001")  # Kepala Urusan Keuangan
AGUS = person("198808202012121003")  # Bendahara Pengeluaran (keuangan)
INDRA = person("198301172008011004")  # Ketua Humas
MAYA = person("199407062018122002")  # Humas and ULP
HASAN = person("197912252005011003")  # Staf TU and Pokja 3
LESTARI = person("199304042017122006")  # Staf TU and Humas
JOKO = person("198103102007011005")  # former PK, BKD: aktif = tidak (moved away)
