"""Timetables for schedules that follow the office calendar (WIB, working days).

``FirstWorkingDayTimetable`` runs a DAG on the *first working day* of every month, quarter
(Peterpan) or other period of whole months, at a wall-clock time in WIB. A working day is
what :mod:`bapas_sop.calendar` says it is: Monday to Friday without national holidays and
cuti bersama (the ``holidays`` package plus the yearly override file), so 1 January 2027
(a holiday, a Friday) moves the first run of Q1 2027 to Monday 4 January, 08.00 WIB.

Registered by the plugin (``plugins/bapas_plugin.py``: ``timetables = [...]``) because Airflow
serializes a custom timetable by its import path and refuses one that no plugin declares.
The calendar (holidays, numpy) is imported only when a date is computed, never when a DAG
file that uses this class is parsed.

Data interval, chosen per DAG with ``interval``:

* ``"previous"`` (default): the period that just ended, like Airflow's own data-interval
  timetables. The Peterpan run on the first working day of October covers July–September:
  the survey elects the best employee of the quarter that has just ended.
* ``"current"``: the period the run starts, for planning it (Gaji UMR plans this month's
  activity on the month's first working day).

Either way ``run_after`` is the first working day of the period that starts, at ``hour:minute``
WIB, and consecutive runs never skip or repeat a period.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pendulum
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

_PERIOD_NAMES = {1: "bulan", 2: "dua bulan", 3: "triwulan", 4: "caturwulan", 6: "semester", 12: "tahun"}
_INTERVALS = ("previous", "current")


class FirstWorkingDayTimetable(Timetable):
    """Runs on the first working day of every ``months``-month period at ``hour:minute``.

    :param months: length of a period in months: 1 (monthly), 3 (quarterly), 2, 4, 6 or 12.
        Periods start in January (quarters: January, April, July, October).
    :param hour: hour of the run, wall clock in ``timezone``.
    :param minute: minute of the run.
    :param timezone: IANA zone of the wall clock and of the period boundaries (WIB).
    :param interval: ``"previous"`` (the data interval is the period that just ended) or
        ``"current"`` (the period that starts).
    """

    periodic = True
    can_be_scheduled = True
    run_ordering = ("data_interval_end", "logical_date")

    def __init__(
        self,
        months: int = 3,
        hour: int = 8,
        minute: int = 0,
        timezone: str = "Asia/Jakarta",
        interval: str = "previous",
    ) -> None:
        self.months = int(months)
        self.hour = int(hour)
        self.minute = int(minute)
        self.timezone = str(timezone)
        self.interval = str(interval)
        self._tz = pendulum.timezone(self.timezone)
        period = _PERIOD_NAMES.get(self.months, f"{self.months} bulan")
        self.description = (
            f"Hari kerja pertama tiap {period}, pukul {self.hour:02d}.{self.minute:02d} "
            f"{'WIB' if self.timezone == 'Asia/Jakarta' else self.timezone}"
        )

    # --- Airflow's protocol ------------------------------------------------------------

    @property
    def summary(self) -> str:
        return self.description

    def validate(self) -> None:
        from airflow.exceptions import AirflowTimetableInvalid

        if self.months not in _PERIOD_NAMES:
            raise AirflowTimetableInvalid(f"months must divide a year (1, 2, 3, 4, 6 or 12), got {self.months}")
        if not (0 <= self.hour <= 23 and 0 <= self.minute <= 59):
            raise AirflowTimetableInvalid(f"invalid time of day {self.hour}:{self.minute}")
        if self.interval not in _INTERVALS:
            raise AirflowTimetableInvalid(f"interval must be one of {_INTERVALS}, got {self.interval!r}")

    def serialize(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "hour": self.hour,
            "minute": self.minute,
            "timezone": self.timezone,
            "interval": self.interval,
        }

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> FirstWorkingDayTimetable:
        return cls(**data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FirstWorkingDayTimetable) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.serialize().items())))

    def __repr__(self) -> str:
        return f"FirstWorkingDayTimetable({self.serialize()})"

    def infer_manual_data_interval(self, *, run_after: datetime) -> DataInterval:
        """A run triggered by hand covers the period it would cover if scheduled then."""
        start = self.period_start(run_after)
        return self._interval_for(start)

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            # The period whose first working day triggered the last run, then the next one.
            anchor = last_automated_data_interval.end if self.interval == "previous" else last_automated_data_interval.start
            start = self.shift(self.period_start(anchor), 1)
        else:
            if restriction.earliest is None:
                return None  # no start_date: nothing to schedule from
            start = self.period_start(restriction.earliest)
            if self.run_after_for(start) < restriction.earliest:
                start = self.shift(start, 1)
        if not restriction.catchup:
            start = max(start, self.latest_started_period(pendulum.now("UTC")))
        run_after = self.run_after_for(start)
        if restriction.latest is not None and run_after > restriction.latest:
            return None
        interval = self._interval_for(start)
        return DagRunInfo(run_after=run_after, data_interval=interval)

    # --- the calendar of periods ----------------------------------------------------------

    def period_start(self, moment: datetime) -> pendulum.DateTime:
        """Midnight (local) of the first day of the period that contains ``moment``."""
        local = pendulum.instance(moment).in_timezone(self._tz)
        first_month = ((local.month - 1) // self.months) * self.months + 1
        return pendulum.datetime(local.year, first_month, 1, tz=self._tz)

    def shift(self, start: pendulum.DateTime, periods: int) -> pendulum.DateTime:
        """The start of the period ``periods`` periods after (or before) ``start``."""
        index = start.year * 12 + (start.month - 1) + periods * self.months
        return pendulum.datetime(index // 12, index % 12 + 1, 1, tz=self._tz)

    def first_working_day(self, start: pendulum.DateTime) -> date:
        """The first working day of the period starting at ``start`` (office calendar)."""
        from bapas_sop.calendar import working_day_on_or_after

        return working_day_on_or_after(date(start.year, start.month, start.day))

    def run_after_for(self, start: pendulum.DateTime) -> pendulum.DateTime:
        """When the run of the period starting at ``start`` happens, in UTC."""
        day = self.first_working_day(start)
        local = datetime.combine(day, time(self.hour, self.minute))
        return pendulum.instance(local, tz=self._tz).in_timezone("UTC")

    def latest_started_period(self, now: datetime) -> pendulum.DateTime:
        """The latest period whose run time is not in the future (catchup=False)."""
        start = self.period_start(now)
        if self.run_after_for(start) > now:
            start = self.shift(start, -1)
        return start

    def _interval_for(self, start: pendulum.DateTime) -> DataInterval:
        if self.interval == "previous":
            begin, end = self.shift(start, -1), start
        else:
            begin, end = start, self.shift(start, 1)
        return DataInterval(start=begin.in_timezone("UTC"), end=end.in_timezone("UTC"))


def first_working_day_runs(timetable: FirstWorkingDayTimetable, first: datetime, count: int) -> list[DagRunInfo]:
    """The next ``count`` scheduled runs from ``first`` (with catchup), for docs and tests."""
    restriction = TimeRestriction(earliest=pendulum.instance(first), latest=None, catchup=True)
    infos: list[DagRunInfo] = []
    last: DataInterval | None = None
    for _ in range(count):
        info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction)
        if info is None:
            break
        infos.append(info)
        last = info.data_interval
    return infos


__all__ = ["FirstWorkingDayTimetable", "first_working_day_runs"]
