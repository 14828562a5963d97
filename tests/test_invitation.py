"""Calendar invitations: what a phone's calendar reads back from the attachment."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import icalendar
import pytest

from bapas_sop.calendar import WIB
from bapas_sop.invitation import INVITATION_FILENAME, CalendarEvent, invitation_attachment, invitation_ics

STAMP = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def _events(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_all_day_duty_is_one_day_with_exclusive_end():
    data = invitation_ics(CalendarEvent(uid="piket/2026-12-25/1", summary="Piket hari libur; Natal, kantor", start=date(2026, 12, 25),
                                        organizer_email="sop@bapas.example", attendees=["a@bapas.example"]), stamp=STAMP)
    (event,) = _events(data)
    assert event.decoded("dtstart") == date(2026, 12, 25)
    assert event.decoded("dtend") == date(2026, 12, 26)
    assert str(event["summary"]) == "Piket hari libur; Natal, kantor"  # commas and semicolons survive
    assert str(event["uid"]) == "piket/2026-12-25/1@bapas-sop"
    assert "mailto:a@bapas.example" in [str(a) for a in [event["attendee"]]]
    assert event.walk("VALARM")[0].decoded("trigger") == timedelta(days=-1)


def test_timed_event_keeps_wib_hours_with_its_timezone():
    start = datetime(2027, 1, 14, 9, 0, tzinfo=WIB)
    data = invitation_ics(CalendarEvent(uid="forum/1", summary="Forum", start=start, end=start + timedelta(hours=2)), stamp=STAMP)
    (event,) = _events(data)
    assert event.decoded("dtstart") == start
    assert event.decoded("dtstart").astimezone(timezone.utc).hour == 2
    assert b"BEGIN:VTIMEZONE" in data and b"TZID=Asia/Jakarta" in data


def test_cancellation_and_attachment_name():
    files = invitation_attachment(CalendarEvent(uid="u", summary="s", start=date(2027, 1, 1), sequence=1, cancelled=True), stamp=STAMP)
    (name, data), = files.items()
    assert name == INVITATION_FILENAME
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["method"]) == "CANCEL"
    assert str(_events(data)[0]["status"]) == "CANCELLED"


@pytest.mark.parametrize("start, end", [
    (datetime(2027, 1, 1, 9, 0), None),  # naive
    (datetime(2027, 1, 1, 9, 0, tzinfo=WIB), datetime(2027, 1, 1, 8, 0, tzinfo=WIB)),
    (date(2027, 1, 2), date(2027, 1, 1)),
])
def test_impossible_spans_are_refused(start, end):
    with pytest.raises(ValueError):
        invitation_ics(CalendarEvent(uid="u", summary="s", start=start, end=end))


def test_a_step_can_open_with_the_sops_own_invitation_one_email_with_its_calendar_entry(smtp_server):
    """``humantask.InvitationEmail``: the step's first email is the SOP's invitation (with the
    person's own link and the .ics), not a second email next to the generic one."""
    from bapas_sop import humantask
    from bapas_sop.mail.devserver import read_inbox
    from bapas_sop.mail.outbox import mailing
    from tests.support.people import KABAPAS

    event = CalendarEvent(uid="uji/1", summary="Forum uji", start=date(2026, 12, 17))
    opened = humantask.open_request(
        key="uji/run1/rsvp", step="rsvp", form_name="skm", title="Konfirmasi kehadiran forum uji", assignee="kabapas",
        dag_id="uji", run_id="run1",
        invitation=humantask.InvitationEmail(template="generic", context={"subject": "[Perlu tindakan] Undangan forum uji"},
                                             attachments=lambda: invitation_attachment(event, stamp=STAMP)),
    )
    with mailing() as batch:
        batch.include(opened.outbox_keys)
    [message] = read_inbox(smtp_server.maildir)
    assert (message.to, message.subject) == ([KABAPAS.email], "[Perlu tindakan] Undangan forum uji")
    assert message.attachments == [INVITATION_FILENAME]
