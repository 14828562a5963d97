"""The rules of Piket Hari Libur (Bu Tejo), the holiday duty roster: plain Python, no Airflow, no store.

* :func:`month_to_plan`: which month a run drafts (the month after the run's date, or the one asked);
* :func:`team_from_config`: who stands duty on one day (``[piket_hari_libur] regu``: e.g. one PK and
  one other employee), and :func:`pools` (who may fill each place);
* :func:`draft_rotation`: the fair rotation, day by day and place by place:

  1. nobody who is away that day (leave or official travel with its dates, or on leave now);
  2. nobody on two consecutive duty days of the roster, where someone else can serve;
  3. the fewest duties this year first (those before this month plus those already given in it);
  4. then whoever served longest ago (never first), then the lowest NIP: the same input always
     gives the same roster;

* :func:`apply_swaps`: Staf TU's changes (on a day, this officer out and that one in), each checked;
* :func:`checkin_deadline`, :func:`days_to_report`: the day itself and the report after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from bapas_sop.textid import MONTHS, format_date_id

#: The place of an officer whose role is ``lainnya`` in ``regu``: any employee outside the other places' roles.
OTHER = "lainnya"

#: Roles that never stand holiday duty unless the configuration says otherwise (the head of office).
DEFAULT_EXCLUDED = ("kabapas",)

#: Titles of the places, as the roster shows them.
PLACE_TITLES = {"pk": "PK", "apk": "APK", "staff_tu": "Staf TU", OTHER: "Petugas"}



class RosterError(ValueError):
    """A roster that cannot be made as asked (the message is Indonesian, for the admin)."""


# --------------------------------------------------------------------------- the month


def month_to_plan(asked: str | None, run_date: date) -> str:
    """``TTTT-BB`` of the month to draft: ``asked`` when given, else the month after ``run_date``."""
    if asked:
        try:
            year, month = (int(p) for p in str(asked).split("-"))
            date(year, month, 1)
        except ValueError:
            raise RosterError(f"Bulan {asked!r} tidak valid; tulis seperti 2026-12.") from None
        return f"{year:04d}-{month:02d}"
    following = (run_date.replace(day=1) + timedelta(days=32)).replace(day=1)
    return f"{following.year:04d}-{following.month:02d}"


def month_label(month: str) -> str:
    """``2026-12`` -> ``Desember 2026``."""
    year, number = (int(p) for p in month.split("-"))
    return f"{MONTHS[number - 1]} {year}"


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(p) for p in month.split("-"))
    first = date(year, number, 1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


# --------------------------------------------------------------------------- the team of a day


@dataclass(frozen=True)
class Place:
    """One place in a day's team: its role (``pk``, or ``lainnya`` for anyone else) and how many."""

    role: str
    count: int = 1

    @property
    def title(self) -> str:
        return PLACE_TITLES.get(self.role, self.role.upper())


def team_from_config(section: Mapping[str, object]) -> tuple[Place, ...]:
    """``[piket_hari_libur] regu`` as places; one PK and one other employee when not configured."""
    entries = section.get("regu") or [{"peran": "pk", "jumlah": 1}, {"peran": OTHER, "jumlah": 1}]
    places = []
    for entry in entries:  # type: ignore[union-attr]
        role = str(entry.get("peran") or "").strip()
        count = int(entry.get("jumlah", 1))
        if not role or count < 1:
            raise RosterError(f"Isian regu piket tidak valid: {entry!r} (perlu peran dan jumlah paling sedikit 1).")
        places.append(Place(role, count))
    if sum(p.role == OTHER for p in places) > 1:
        raise RosterError("Peran 'lainnya' hanya boleh muncul sekali dalam regu piket.")
    return tuple(places)


@dataclass(frozen=True)
class Candidate:
    """An employee who may stand duty: NIP, name and roles (as the directory gives them)."""

    nip: str
    name: str
    roles: tuple[str, ...] = ()


def pools(candidates: Iterable[Candidate], places: Sequence[Place], *, excluded_roles: Iterable[str] = DEFAULT_EXCLUDED) -> dict[str, list[Candidate]]:
    """Who may fill each place: holders of its role; ``lainnya`` takes those of none of the named roles.

    Holders of an excluded role (the Kabapas) serve in no place.
    """
    excluded = set(excluded_roles)
    eligible = [c for c in candidates if not excluded.intersection(c.roles)]
    named = {p.role for p in places if p.role != OTHER}
    result: dict[str, list[Candidate]] = {}
    for place in places:
        if place.role == OTHER:
            result[place.role] = [c for c in eligible if not named.intersection(c.roles)]
        else:
            result[place.role] = [c for c in eligible if place.role in c.roles]
    return result


# --------------------------------------------------------------------------- the rotation


@dataclass(frozen=True)
class Duty:
    """One officer on one day in one place (``nip`` None: nobody could be found)."""

    day: date
    role: str
    nip: str | None


@dataclass
class Draft:
    duties: list[Duty]
    #: Indonesian notes for the reviewer: places left empty, consecutive days that could not be avoided.
    notes: list[str] = field(default_factory=list)

    def by_day(self) -> dict[date, list[Duty]]:
        days: dict[date, list[Duty]] = {}
        for duty in self.duties:
            days.setdefault(duty.day, []).append(duty)
        return days

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for duty in self.duties:
            if duty.nip:
                counts[duty.nip] = counts.get(duty.nip, 0) + 1
        return counts


AwayCheck = Callable[[str, date], bool]


def draft_rotation(
    days: Sequence[date],
    places: Sequence[Place],
    pool: Mapping[str, Sequence[Candidate]],
    *,
    past_counts: Mapping[str, int] | None = None,
    last_served: Mapping[str, date] | None = None,
    is_away: AwayCheck | None = None,
) -> Draft:
    """The fair rotation for ``days`` (see the module doc for the order of the rules).

    ``past_counts``: duties this year before these days, by NIP; ``last_served``: each one's
    latest duty day before them; ``is_away(nip, day)``: leave, travel, or on leave now.
    """
    counts = dict(past_counts or {})
    last = dict(last_served or {})
    away = is_away or (lambda nip, day: False)
    names = {c.nip: c.name for cs in pool.values() for c in cs}
    duties: list[Duty] = []
    notes: list[str] = []
    previous_day_team: set[str] = set()
    for day in sorted(set(days)):
        today: set[str] = set()
        for place in places:
            for _ in range(place.count):
                free = [c.nip for c in pool.get(place.role, ()) if c.nip not in today and not away(c.nip, day)]
                if not free:
                    duties.append(Duty(day, place.role, None))
                    notes.append(f"{day_text(day)}: tidak ada {place.title} yang dapat bertugas (semua cuti, "
                                 "dinas luar atau sudah bertugas hari itu); isi dengan penukaran.")
                    continue
                chosen = min(free, key=lambda nip: (nip in previous_day_team, counts.get(nip, 0),
                                                    last.get(nip, date.min), nip))
                if chosen in previous_day_team:
                    notes.append(f"{day_text(day)}: {names.get(chosen, chosen)} bertugas dua hari piket berturut-turut "
                                 f"karena tidak ada {place.title} lain yang dapat bertugas.")
                today.add(chosen)
                counts[chosen] = counts.get(chosen, 0) + 1
                last[chosen] = day
                duties.append(Duty(day, place.role, chosen))
        previous_day_team = today
    return Draft(duties, notes)


# --------------------------------------------------------------------------- Staf TU's changes


@dataclass(frozen=True)
class Swap:
    """On ``day``, ``out`` leaves the roster and ``into`` takes the place."""

    day: date
    out: str
    into: str


def apply_swaps(duties: Sequence[Duty], swaps: Iterable[Swap], *, is_away: AwayCheck | None = None,
                names: Mapping[str, str] | None = None) -> tuple[list[Duty], list[str]]:
    """The roster with each valid swap made, and an Indonesian note for each one refused.

    A swap is refused when ``out`` is not on duty that day, ``into`` already is, or ``into`` is
    away that day. Swaps are made in order: a later one sees the earlier ones.
    """
    result = list(duties)
    away = is_away or (lambda nip, day: False)
    names = names or {}
    refused: list[str] = []
    for swap in swaps:
        name_out, name_in = names.get(swap.out, swap.out), names.get(swap.into, swap.into)
        where = next((i for i, d in enumerate(result) if d.day == swap.day and d.nip == swap.out), None)
        if where is None:
            refused.append(f"{day_text(swap.day)}: {name_out} tidak terjadwal pada hari itu.")
        elif any(d.day == swap.day and d.nip == swap.into for d in result):
            refused.append(f"{day_text(swap.day)}: {name_in} sudah bertugas pada hari itu.")
        elif away(swap.into, swap.day):
            refused.append(f"{day_text(swap.day)}: {name_in} sedang cuti atau dinas luar pada hari itu.")
        else:
            result[where] = replace(result[where], nip=swap.into)
    return result, refused


# --------------------------------------------------------------------------- the day and after


def checkin_deadline(day: date, at: time, tz: object) -> datetime:
    """The moment the officer must have checked in on their duty day (``at``, WIB)."""
    return datetime.combine(day, at, tzinfo=tz)  # type: ignore[arg-type]


def parse_clock(text: str) -> time:
    """``"08.00"`` or ``"08:00"`` -> 08:00."""
    try:
        hours, minutes = str(text).replace(".", ":").split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise RosterError(f"Jam {text!r} tidak valid; tulis seperti 08.00.") from None


def days_to_report(today: date, duty_days: Iterable[date], previous_working_day: date) -> list[date]:
    """The duty days a report on working day ``today`` covers: after the previous working day, before today."""
    return sorted(d for d in set(duty_days) if previous_working_day < d < today)


def day_text(day: date) -> str:
    """``Sabtu, 5 Desember 2026``."""
    return format_date_id(day)


__all__ = [
    "OTHER",
    "Candidate",
    "Draft",
    "Duty",
    "Place",
    "RosterError",
    "Swap",
    "apply_swaps",
    "checkin_deadline",
    "day_text",
    "days_to_report",
    "draft_rotation",
    "month_bounds",
    "month_label",
    "month_to_plan",
    "parse_clock",
    "pools",
    "team_from_config",
]
