"""FirstWorkingDayTimetable: Peterpan's quarterly and Gaji UMR's monthly schedule in WIB."""

from __future__ import annotations

from datetime import datetime, timedelta

import pendulum
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction

from bapas_sop.airflow.timetables import FirstWorkingDayTimetable, first_working_day_runs
from bapas_sop.calendar import WIB


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def test_quarterly_runs_on_the_first_working_day_at_eight_wib_for_the_quarter_that_ended() -> None:
    runs = first_working_day_runs(FirstWorkingDayTimetable(), wib(2026, 1, 1), 5)
    assert [r.run_after for r in runs] == [
        wib(2026, 1, 2, 8),  # 1 January is Tahun Baru
        wib(2026, 4, 1, 8),
        wib(2026, 7, 1, 8),
        wib(2026, 10, 1, 8),
        wib(2027, 1, 4, 8),  # 1 January 2027 is a Friday holiday: Monday the 4th
    ]
    assert runs[3].data_interval == DataInterval(wib(2026, 7, 1), wib(2026, 10, 1))  # Triwulan III
    assert all(r.run_after.tzinfo is not None and r.run_after.utcoffset() == timedelta(0) for r in runs)
    # Consecutive runs cover consecutive quarters, no gap, no overlap.
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.data_interval.end == after.data_interval.start


def test_monthly_current_period_plans_the_month_the_run_starts() -> None:
    timetable = FirstWorkingDayTimetable(months=1, interval="current")
    runs = first_working_day_runs(timetable, wib(2026, 12, 15), 3)
    assert [r.run_after for r in runs] == [wib(2027, 1, 4, 8), wib(2027, 2, 1, 8), wib(2027, 3, 1, 8)]
    assert runs[0].data_interval == DataInterval(wib(2027, 1, 1), wib(2027, 2, 1))


def test_a_holiday_override_moves_the_run(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bapas_sop.calendar import clear_holiday_cache

    (tmp_path / "holidays").mkdir()
    (tmp_path / "holidays" / "2026.csv").write_text("date,name,action\n2026-10-01,Libur uji,add\n")
    (tmp_path / "staff.csv").write_text("nip,nama,email,seksi\n")
    monkeypatch.setenv("BAPAS_DATA_DIR", str(tmp_path))
    clear_holiday_cache()
    timetable = FirstWorkingDayTimetable()
    assert timetable.run_after_for(pendulum.instance(wib(2026, 10, 1))) == wib(2026, 10, 2, 8)


def test_without_catchup_the_latest_due_quarter_is_scheduled(monkeypatch: pytest.MonkeyPatch) -> None:
    timetable = FirstWorkingDayTimetable()
    monkeypatch.setattr(pendulum, "now", lambda tz=None: pendulum.instance(wib(2026, 11, 20, 9)))
    restriction = TimeRestriction(earliest=pendulum.instance(wib(2026, 1, 1)), latest=None, catchup=False)
    info = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert info.run_after == wib(2026, 10, 1, 8)  # due already: runs at once, for Q3
    after = timetable.next_dagrun_info(last_automated_data_interval=info.data_interval, restriction=restriction)
    assert after.run_after == wib(2027, 1, 4, 8)


def test_the_end_date_stops_the_schedule() -> None:
    timetable = FirstWorkingDayTimetable()
    restriction = TimeRestriction(earliest=pendulum.instance(wib(2026, 1, 1)),
                                  latest=pendulum.instance(wib(2026, 6, 30)), catchup=True)
    last = DataInterval(pendulum.instance(wib(2026, 1, 1)), pendulum.instance(wib(2026, 4, 1)))
    assert timetable.next_dagrun_info(last_automated_data_interval=last, restriction=restriction) is None
    no_start = TimeRestriction(earliest=None, latest=None, catchup=True)
    assert timetable.next_dagrun_info(last_automated_data_interval=None, restriction=no_start) is None


def test_a_manual_run_covers_the_quarter_before_it() -> None:
    interval = FirstWorkingDayTimetable().infer_manual_data_interval(run_after=pendulum.instance(wib(2026, 11, 20, 14)))
    assert interval == DataInterval(wib(2026, 7, 1), wib(2026, 10, 1))
    # 30 September 23.00 UTC is 1 October in Jambi: already Q4, so the manual run covers Q3.
    utc = pendulum.datetime(2026, 9, 30, 23, 0, tz="UTC")
    assert FirstWorkingDayTimetable().infer_manual_data_interval(run_after=utc).start == wib(2026, 7, 1)


def test_serialisation_round_trip_description_and_validation() -> None:
    from airflow.exceptions import AirflowTimetableInvalid

    timetable = FirstWorkingDayTimetable(months=1, hour=7, minute=30, interval="current")
    assert FirstWorkingDayTimetable.deserialize(timetable.serialize()) == timetable
    assert timetable.summary == "Hari kerja pertama tiap bulan, pukul 07.30 WIB"
    assert FirstWorkingDayTimetable().description == "Hari kerja pertama tiap triwulan, pukul 08.00 WIB"
    with pytest.raises(AirflowTimetableInvalid):
        FirstWorkingDayTimetable(months=5).validate()
    with pytest.raises(AirflowTimetableInvalid):
        FirstWorkingDayTimetable(interval="next").validate()


def test_the_plugin_registers_it_and_the_peterpan_dag_serialises() -> None:
    import importlib.util
    from pathlib import Path

    from airflow.serialization.encoders import encode_timetable
    from airflow.serialization.helpers import find_registered_custom_timetable

    path = "bapas_sop.airflow.timetables.FirstWorkingDayTimetable"
    assert find_registered_custom_timetable(path) is FirstWorkingDayTimetable
    dags = Path(__file__).resolve().parents[2] / "dags"
    spec = importlib.util.spec_from_file_location("peterpan_dag_file", dags / "peterpan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    encoded = encode_timetable(module.dag.timetable)
    assert encoded["__type"] == path
    assert encoded["__var"] == {"months": 3, "hour": 8, "minute": 0, "timezone": "Asia/Jakarta", "interval": "previous"}
