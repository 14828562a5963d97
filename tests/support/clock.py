"""The tests' clock: a fixed day by default, any day through ``BAPAS_TEST_DATE``.

The SOPs read the calendar (this month's clients, this week's video, deadlines counted in
working days), so a test that ran on the real clock passed or failed with the date it ran
on. ``pinned_clock()`` travels to :func:`clock_start` with time still ticking from there
(``dag.test()`` waits on sensors and triggers in real seconds); ``scripts/test-dates`` runs
the scenarios once per date of a year to show they hold on any day.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time

import time_machine

from bapas_sop.calendar import WIB

#: The variable naming the tests' day: an ISO date (``2027-03-12``, taken at 09.00 WIB) or
#: datetime (``2026-12-31T23:30``, WIB unless it carries an offset).
ENV = "BAPAS_TEST_DATE"
#: An ordinary working Wednesday in the morning, when nobody set a date.
DEFAULT = datetime(2026, 11, 18, 9, 0, tzinfo=WIB)
#: The hour a bare date is taken at: office hours, so "today" is that day in UTC and WIB.
MORNING = time(9, 0)


def parse_test_date(value: str) -> datetime:
    """``BAPAS_TEST_DATE`` as an aware datetime (WIB when no offset is given)."""
    text = value.strip()
    if "T" not in text and " " not in text:
        return datetime.combine(date.fromisoformat(text), MORNING, tzinfo=WIB)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=WIB)


def clock_start() -> datetime:
    """Where the tests' clock starts: ``BAPAS_TEST_DATE`` when set, else :data:`DEFAULT`."""
    value = os.environ.get(ENV, "").strip()
    return parse_test_date(value) if value else DEFAULT


@contextmanager
def pinned_clock(moment: datetime | None = None) -> Iterator[datetime]:
    """Travel to ``moment`` (default :func:`clock_start`), the clock ticking on from there."""
    start = moment or clock_start()
    with time_machine.travel(start, tick=True):
        yield start
