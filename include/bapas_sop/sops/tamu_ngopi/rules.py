"""Tamu Ngopi (Tatap Muka Sharing Opini): the monthly opinion forum, as plain rules.

No Airflow, no database, no web here: the month of a run and the forum's date, the deadlines
of the steps, the stakeholders of the configuration, the agenda built from the proposed topics
and the open action items of earlier forums (**carry-over**), the minutes' suggestions read
line by line, and where an action item stands on a given day (open, overdue, done).
:mod:`bapas_sop.sops.tamu_ngopi.flow` applies them to the run.

**Carry-over** (:func:`carry_over`): every action item of an *earlier* month that is still open
on the day the agenda is built goes onto this month's agenda by itself, overdue ones first
(longest overdue first), then by due date; nobody has to propose it again. It stays on every
agenda until its owner reports it done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bapas_sop.email_address import EmailAddressError, valid_email
from bapas_sop.textid import DAYS, MONTHS, WIB

# --------------------------------------------------------------------------- statuses

#: Where an action item stands (column ``status``); *overdue* is not stored but derived.
OPEN, DONE = "terbuka", "selesai"
OVERDUE = "terlambat"
ITEM_LABELS = {OPEN: "terbuka", OVERDUE: "lewat tenggat", DONE: "selesai"}

#: Answers of the RSVP form.
ATTEND, DECLINE, REPRESENTED = "hadir", "tidak_hadir", "diwakili"
RSVP_LABELS = {ATTEND: "hadir", DECLINE: "tidak hadir", REPRESENTED: "diwakili", None: "belum menjawab"}

#: Answers of a follow-up report.
REPORT_DONE, REPORT_ONGOING, REPORT_MISSING = "selesai", "berjalan", "belum_dilaporkan"

#: Kinds of stakeholder in ``[tamu_ngopi] pemangku`` and how a person reads them.
STAKEHOLDER_KINDS = {
    "mitra": "Instansi mitra",
    "keluarga_klien": "Keluarga klien",
    "tokoh_masyarakat": "Tokoh masyarakat",
}

#: Sources of an agenda entry.
FROM_CARRY_OVER, FROM_PROPOSAL = "lanjutan", "usulan"


# --------------------------------------------------------------------------- months and dates


def parse_month(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"Bulan {text!r} tidak valid: tulis TTTT-BB, mis. 2026-11.")
    return int(match.group(1)), int(match.group(2))


def month_label(text: str) -> str:
    year, month = parse_month(text)
    return f"{MONTHS[month - 1]} {year}"


def add_months(text: str, n: int) -> str:
    year, month = parse_month(text)
    index = year * 12 + month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_for_run(chosen: str | None, moment: datetime | None) -> str:
    """The admin's month, else the month the run's interval starts (WIB)."""
    if chosen:
        return "{:04d}-{:02d}".format(*parse_month(chosen))
    if moment is None:
        raise ValueError("Bulan tidak dapat ditentukan: isi parameter bulan, mis. 2026-11.")
    return month_of(moment.astimezone(WIB).date())


WEEKDAYS = {name.lower(): i for i, name in enumerate(DAYS)}


def nth_weekday(month: str, weekday: str, nth: int) -> date:
    """The ``nth`` (1-4) ``weekday`` (``"kamis"``) of ``month``."""
    year, number = parse_month(month)
    target = WEEKDAYS[weekday.strip().lower()]
    first = date(year, number, 1)
    return first + timedelta(days=(target - first.weekday()) % 7 + 7 * (max(1, min(nth, 4)) - 1))


def forum_day(month: str, weekday: str, nth: int, is_working_day: Any) -> date:
    """The forum's day: the ``nth`` ``weekday`` of the month, or the next working day after it
    when that is a holiday (``is_working_day`` is the calendar's own test)."""
    day = nth_weekday(month, weekday, nth)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Deadlines:
    """When each step is due, for a forum starting at ``start`` (aware, WIB)."""

    topics: datetime
    approval: datetime
    rsvp: datetime
    forum_morning: datetime


def deadlines(start: datetime, now: datetime, *, topic_days: int, rsvp_days: int,
              least: timedelta = timedelta(hours=1)) -> Deadlines:
    """Topics close ``topic_days`` before the forum, the Kabapas approves within a day of that,
    RSVPs close ``rsvp_days`` before; when the forum is planned at short notice they are squeezed
    in between now and the forum, ``least`` apart, in that order."""

    def clamp(ideal: datetime, after: datetime, steps_left: int) -> datetime:
        latest = start - steps_left * least
        return min(max(ideal, after + least), max(latest, after + least))

    topics = clamp(start - timedelta(days=topic_days), now, 3)
    approval = clamp(topics + timedelta(days=1), topics, 2)
    rsvp = clamp(start - timedelta(days=rsvp_days), approval, 1)
    morning = datetime.combine(start.astimezone(WIB).date(), time(7, 0), tzinfo=WIB)
    return Deadlines(topics=topics, approval=approval, rsvp=rsvp, forum_morning=max(morning, now))


def opens_at(moment: datetime, now: datetime) -> datetime:
    """A wait that ends at ``moment``, or at once when ``moment`` is today (planned that day)."""
    if moment.astimezone(WIB).date() == now.astimezone(WIB).date():
        return min(moment, now)
    return moment


# --------------------------------------------------------------------------- stakeholders


@dataclass(frozen=True)
class Stakeholder:
    """An outside participant named in the configuration (no NIP: addressed by email)."""

    key: str
    name: str
    email: str
    kind: str
    organisation: str = ""

    @property
    def kind_label(self) -> str:
        return STAKEHOLDER_KINDS[self.kind]

    @property
    def label(self) -> str:
        where = f", {self.organisation}" if self.organisation else ""
        return f"{self.name} ({self.kind_label}{where})"


def read_stakeholders(entries: Iterable[Mapping[str, Any]]) -> tuple[list[Stakeholder], list[str]]:
    """The stakeholders of ``[[tamu_ngopi.pemangku]]``, and an Indonesian message per bad entry."""
    people: list[Stakeholder] = []
    errors: list[str] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        name = str(entry.get("nama") or "").strip()
        kind = str(entry.get("kategori") or "").strip()
        where = f"Pemangku kepentingan ke-{number}"
        if not name:
            errors.append(f"{where}: nama wajib diisi.")
            continue
        if kind not in STAKEHOLDER_KINDS:
            errors.append(f"{where} ({name}): kategori harus salah satu dari {', '.join(STAKEHOLDER_KINDS)}.")
            continue
        try:
            email = valid_email(str(entry.get("email") or ""))
        except EmailAddressError as exc:
            errors.append(f"{where} ({name}): {exc}")
            continue
        if email.lower() in seen:
            errors.append(f"{where} ({name}): email {email} sudah dipakai pemangku lain.")
            continue
        seen.add(email.lower())
        people.append(Stakeholder(key=email.lower(), name=name, email=email, kind=kind,
                                  organisation=str(entry.get("lembaga") or "").strip()))
    return people, errors


# --------------------------------------------------------------------------- action items


@dataclass(frozen=True)
class Item:
    """An action item as the rules see it."""

    id: int
    title: str
    owner: str
    due: date
    status: str
    month: str
    done_on: date | None = None


def classify(item: Item, today: date) -> str:
    """``selesai``; ``terlambat`` when still open after its due date; else ``terbuka``."""
    if item.status == DONE:
        return DONE
    return OVERDUE if today > item.due else OPEN


def days_overdue(item: Item, today: date) -> int:
    return max(0, (today - item.due).days) if item.status != DONE else 0


def carry_over(items: Iterable[Item], month: str) -> list[Item]:
    """The open items of months before ``month``: what this month's agenda takes over by itself.

    Overdue first (the oldest due date first), then the rest by due date; an item of the same
    month or later, and a done one, is not carried.
    """
    earlier = [i for i in items if i.status != DONE and i.month < month]
    return sorted(earlier, key=lambda i: (i.due, i.id))


@dataclass(frozen=True)
class AgendaEntry:
    """One point of the forum's agenda: a proposed topic or an open item carried over."""

    key: str  # "topik:<id>" or "tindak_lanjut:<id>"
    title: str
    source: str
    by: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "title": self.title, "source": self.source, "by": self.by}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def build_agenda(carried: Sequence[Item], topics: Sequence[Mapping[str, Any]], *, max_topics: int,
                 owners: Mapping[str, str] | None = None) -> list[AgendaEntry]:
    """The proposed agenda: the carried-over items first (all of them), then the proposed topics
    in the order they came, one per wording (the same topic proposed twice is one point), up to
    ``max_topics`` topics; a topic that repeats a carried item's title adds nothing."""
    owners = owners or {}
    agenda = [AgendaEntry(f"tindak_lanjut:{i.id}", i.title, FROM_CARRY_OVER, owners.get(i.owner, i.owner))
              for i in carried]
    seen = {_norm(i.title) for i in carried}
    taken = 0
    for topic in topics:
        wording = _norm(str(topic["title"]))
        if not wording or wording in seen or taken >= max_topics:
            continue
        seen.add(wording)
        taken += 1
        agenda.append(AgendaEntry(f"topik:{topic['id']}", str(topic["title"]).strip(), FROM_PROPOSAL, str(topic["by"])))
    return agenda


def parse_suggestions(text: str | None, limit: int) -> list[str]:
    """The minutes' suggestions, one per line (bullets and numbers dropped, repeats once)."""
    found: list[str] = []
    for line in (text or "").splitlines():
        cleaned = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", line).strip()
        if cleaned and _norm(cleaned) not in {_norm(f) for f in found}:
            found.append(cleaned)
    return found[:limit]


def round_due(item_due: date, opened: datetime, interval_days: int, *, hour: int = 16) -> datetime:
    """When one follow-up report is due: at ``hour`` WIB on the item's due date while that is
    ahead, else ``interval_days`` after the round opens (a report is asked again until done)."""
    due = datetime.combine(item_due, time(hour, 0), tzinfo=WIB)
    if due > opened + timedelta(hours=1):
        return due
    later = opened.astimezone(WIB).date() + timedelta(days=interval_days)
    return datetime.combine(later, time(hour, 0), tzinfo=WIB)


__all__ = [
    "ATTEND", "DECLINE", "DONE", "OPEN", "OVERDUE", "REPRESENTED",
    "AgendaEntry", "Deadlines", "Item", "Stakeholder",
    "add_months", "build_agenda", "carry_over", "classify", "days_overdue", "deadlines", "forum_day",
    "month_for_run", "month_label", "nth_weekday", "opens_at", "parse_suggestions", "read_stakeholders",
    "round_due",
]
