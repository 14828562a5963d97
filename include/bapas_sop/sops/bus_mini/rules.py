"""Bus Mini: the office's weekly video news on YouTube, as plain rules.

No Airflow and no database here: the week (Monday 00.00 to the next Monday 00.00 WIB, ISO
week numbers), the step deadlines inside it, the compiled rundown of the staff's reports,
and which upload counts for a week: a video of the office's channel **published inside the
week window in WIB**. A video published on Sunday 23.30 WIB (16.30 UTC) belongs to that
week; one published on Monday 00.30 WIB (Sunday 17.30 UTC) to the next, although both are
on Sunday in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from bapas_sop.calendar import WIB, to_wib, wib_date

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)

UPLOADED, MISSED = "uploaded", "missed"


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week in WIB: ``2026-W48`` is Monday 23 to Sunday 29 November 2026."""

    year: int
    number: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.number, 1)
        except ValueError:
            raise ValueError(f"Pekan {self.number} tidak ada pada tahun {self.year}.") from None

    @classmethod
    def parse(cls, text: str) -> Week:
        """``"2026-W48"`` (also ``2026W48``); an Indonesian error otherwise."""
        match = re.fullmatch(r"\s*(\d{4})\s*-?\s*[Ww]\s*(\d{1,2})\s*", str(text or ""))
        if not match:
            raise ValueError(f"Pekan '{text}' tidak dikenali; tulis seperti 2026-W48 (tahun, lalu nomor pekan ISO).")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, moment: date | datetime) -> Week:
        """The week of a day, or of an aware moment read in WIB."""
        day = wib_date(moment)
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00.00 WIB (inclusive)."""
        return datetime.combine(self.monday, time(0, 0), tzinfo=WIB)

    @property
    def end(self) -> datetime:
        """The next Monday 00.00 WIB (exclusive)."""
        return self.start + timedelta(days=7)

    @property
    def period_label(self) -> str:
        first, last = self.monday, self.sunday
        if first.month == last.month:
            return f"{first.day}–{last.day} {MONTHS_ID[last.month - 1]} {last.year}"
        if first.year == last.year:
            return f"{first.day} {MONTHS_ID[first.month - 1]} – {last.day} {MONTHS_ID[last.month - 1]} {last.year}"
        return (f"{first.day} {MONTHS_ID[first.month - 1]} {first.year} – "
                f"{last.day} {MONTHS_ID[last.month - 1]} {last.year}")

    @property
    def label(self) -> str:
        return f"pekan ke-{self.number} {self.year} ({self.period_label})"

    def at(self, weekday: int, hour: int, minute: int = 0) -> datetime:
        """A wall-clock moment of this week in WIB (weekday 0 = Monday)."""
        return datetime.combine(self.monday + timedelta(days=weekday), time(hour, minute), tzinfo=WIB)

    def contains(self, moment: datetime) -> bool:
        return self.start <= to_wib(moment) < self.end

    def previous(self) -> Week:
        return Week.of(self.monday - timedelta(days=7))

    def __str__(self) -> str:
        return self.key


def week_for_run(chosen: str | None, logical_date: datetime | None, now: datetime | None = None) -> Week:
    """The admin's week, else the week of the run's logical date (WIB), else this week."""
    if chosen:
        return Week.parse(chosen)
    moment = logical_date or now
    if moment is None:
        raise ValueError("Pekan tidak dapat ditentukan: isi parameter pekan, mis. 2026-W48.")
    return Week.of(moment)


@dataclass(frozen=True)
class Deadlines:
    """When each step of a week is due (WIB)."""

    reports: datetime  # activity reports: Wednesday 12.00
    upload: datetime  # the video online: Friday 17.00; not found then, Tim Humas is reminded
    escalation: datetime  # still nothing when the week closes: Ketua Humas is told, the week is missed

    def as_dict(self) -> dict[str, str]:
        return {"reports": self.reports.isoformat(), "upload": self.upload.isoformat(),
                "escalation": self.escalation.isoformat()}


def deadlines(week: Week, overrides: Mapping[str, Any] | None = None) -> Deadlines:
    """The week's deadlines; ``overrides`` (ISO texts, naive read as WIB) replace them."""
    overrides = overrides or {}
    chosen = Deadlines(reports=week.at(2, 12), upload=week.at(4, 17), escalation=week.end)
    values = {}
    for name in ("reports", "upload", "escalation"):
        given = overrides.get(name)
        values[name] = _aware(given) if given else getattr(chosen, name)
    if not values["upload"] <= values["escalation"]:
        raise ValueError("Batas eskalasi tidak boleh sebelum batas unggah video.")
    return Deadlines(**values)


def _aware(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=WIB) if moment.tzinfo is None else to_wib(moment)


# --------------------------------------------------------------------------- uploads


def video_id_from_url(url: str) -> str | None:
    """The video id of a YouTube link (watch?v=, youtu.be/, shorts/, live/, embed/)."""
    parsed = urlparse(url.strip())
    host = (parsed.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    if host == "youtu.be":
        vid = parsed.path.strip("/").split("/")[0]
        return vid or None
    if host.endswith("youtube.com"):
        if parsed.path == "/watch":
            return (parse_qs(parsed.query).get("v") or [None])[0]
        match = re.match(r"^/(shorts|live|embed)/([\w-]+)", parsed.path)
        if match:
            return match.group(2)
    return None


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def upload_record(item: Any) -> dict[str, Any]:
    """One upload (an object of the YouTube client or a dict) as a JSON-safe record."""
    published = _field(item, "published_at")
    if isinstance(published, str):
        published = _aware(published)
    video_id = _field(item, "video_id")
    url = _field(item, "url") or (f"https://www.youtube.com/watch?v={video_id}" if video_id else None)
    return {
        "video_id": video_id,
        "title": _field(item, "title") or "",
        "url": url,
        "published_at": to_wib(published).isoformat() if isinstance(published, datetime) else None,
    }


def pick_upload(uploads: Iterable[Any], week: Week) -> dict[str, Any] | None:
    """The week's video: the first upload published inside the week window (WIB)."""
    inside = []
    for item in uploads:
        record = upload_record(item)
        if record["published_at"] and week.contains(datetime.fromisoformat(record["published_at"])):
            inside.append(record)
    return min(inside, key=lambda r: r["published_at"]) if inside else None


# --------------------------------------------------------------------------- rundown


def rundown_items(reports: Sequence[Mapping[str, Any]], week: Week) -> list[dict[str, Any]]:
    """Activities from the staff's answers, by date; those outside the week are flagged.

    ``reports``: ``{"name", "nip", "answer"}`` per person who answered with activities.
    """
    items = []
    for report in reports:
        answer = report.get("answer") or {}
        if not answer.get("ada_kegiatan"):
            continue
        for n in (1, 2):
            title = answer.get(f"judul_{n}")
            if not title:
                continue
            day = date.fromisoformat(answer[f"tanggal_{n}"]) if answer.get(f"tanggal_{n}") else None
            items.append({
                "title": title, "date": day.isoformat() if day else None,
                "description": answer.get(f"uraian_{n}") or "", "link": answer.get(f"tautan_{n}"),
                "reporter": report.get("name"), "nip": report.get("nip"),
                "in_week": day is not None and week.monday <= day <= week.sunday,
            })
    return sorted(items, key=lambda i: (not i["in_week"], i["date"] or "9999", i["title"]))


__all__ = [
    "MISSED",
    "UPLOADED",
    "Deadlines",
    "Week",
    "deadlines",
    "pick_upload",
    "rundown_items",
    "upload_record",
    "video_id_from_url",
    "week_for_run",
]
