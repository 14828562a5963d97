"""Calendar invitations (``.ics``, RFC 5545) for a date someone must keep.

A duty day, a forum, a school visit: whoever must be there gets the date as an email
attachment that a phone's calendar adds with one tap. One builder for every SOP, made with
``icalendar`` (a well-kept RFC 5545 library) rather than by hand, because line folding,
escaping of commas and semicolons and time-zone data are easy to get subtly wrong.

The invitation carries no personal data beyond what its email already does: the summary and
place of the event, the organiser (the office's sender address) and the attendee's address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import icalendar

from bapas_sop.calendar import TIMEZONE, to_wib

#: The name of the attachment in every email that carries an invitation.
INVITATION_FILENAME = "undangan.ics"
#: PRODID of every calendar we make (RFC 5545 3.7.3).
PRODUCT_ID = "-//Bapas Kelas II Jambi//bapas-sop//ID"


@dataclass(frozen=True)
class CalendarEvent:
    """One event to put in someone's calendar.

    ``uid`` must be stable for the same event (e.g. ``piket/2026-12/2026-12-25/<nip>``): a
    calendar that receives the same uid again with a higher ``sequence`` updates the entry
    instead of adding a second one, and ``cancelled`` removes it.
    ``start`` is a ``date`` for an all-day event (a duty day) or an aware ``datetime``.
    """

    uid: str
    summary: str
    start: date | datetime
    end: date | datetime | None = None
    location: str = ""
    description: str = ""
    organizer_email: str | None = None
    attendees: Sequence[str] = field(default_factory=tuple)
    sequence: int = 0
    cancelled: bool = False
    #: Minutes before the start for the calendar's own reminder; None for no alarm.
    alarm_minutes: int | None = 24 * 60


def invitation_ics(*events: CalendarEvent, stamp: datetime | None = None) -> bytes:
    """The ``.ics`` bytes of ``events`` as one calendar (METHOD:REQUEST, or CANCEL)."""
    if not events:
        raise ValueError("an invitation needs at least one event")
    cal = icalendar.Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if all(e.cancelled for e in events) else "REQUEST")
    cal.add("x-wr-timezone", TIMEZONE)
    dtstamp = (stamp or datetime.now(timezone.utc)).astimezone(timezone.utc)
    for item in events:
        cal.add_component(_vevent(item, dtstamp))
    # A VTIMEZONE for Asia/Jakarta, so a timed event lands at the right hour in any calendar.
    cal.add_missing_timezones()
    return cal.to_ical()


def invitation_attachment(*events: CalendarEvent, stamp: datetime | None = None) -> dict[str, bytes]:
    """The attachments mapping an email takes: ``{"undangan.ics": bytes}``."""
    return {INVITATION_FILENAME: invitation_ics(*events, stamp=stamp)}


def _vevent(item: CalendarEvent, dtstamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", item.uid if "@" in item.uid else f"{item.uid}@bapas-sop")
    event.add("dtstamp", dtstamp)
    event.add("sequence", item.sequence)
    event.add("summary", item.summary)
    start, end = _span(item.start, item.end)
    event.add("dtstart", start)
    event.add("dtend", end)
    if item.location:
        event.add("location", item.location)
    if item.description:
        event.add("description", item.description)
    if item.organizer_email:
        event.add("organizer", f"mailto:{item.organizer_email}")
    for address in item.attendees:
        event.add("attendee", f"mailto:{address}", parameters={"ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"})
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if item.alarm_minutes is not None and not item.cancelled:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.summary)
        alarm.add("trigger", timedelta(minutes=-item.alarm_minutes))
        event.add_component(alarm)
    return event


def _span(start: date | datetime, end: date | datetime | None) -> tuple[date | datetime, date | datetime]:
    """All-day events end the next day (DTEND is exclusive); timed ones default to one hour."""
    if isinstance(start, datetime):
        if start.tzinfo is None:
            raise ValueError("a timed event needs an aware datetime (WIB)")
        start_wib = to_wib(start)
        if end is None:
            return start_wib, start_wib + timedelta(hours=1)
        if not isinstance(end, datetime) or end.tzinfo is None:
            raise ValueError("a timed event ends at an aware datetime")
        if end <= start:
            raise ValueError("an event must end after it starts")
        return start_wib, to_wib(end)
    last = end if end is not None else start
    if isinstance(last, datetime) or last < start:
        raise ValueError("an all-day event ends on a date on or after its start")
    return start, last + timedelta(days=1)
