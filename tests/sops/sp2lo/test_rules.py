"""SP2LO rules as the office sees them: deadlines, PK suggestion, SPPD, monitor, report."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bapas_sop.calendar import WIB
from bapas_sop.sops.sp2lo import rules as sp2lo
from bapas_sop.sops.sp2lo.rules import Stage


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings write a key file into the var dir; the calendar uses the package only."""
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path / "var"))
    data_dir = tmp_path / "data"
    (data_dir / "holidays").mkdir(parents=True)
    monkeypatch.setenv("BAPAS_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture
def rules() -> list[sp2lo.DeadlineRule]:
    return sp2lo.load_rules()  # the shipped include/config/bapas.toml


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


# --- vocabulary -----------------------------------------------------------------------------


def test_labels_are_indonesian_and_complete() -> None:
    assert list(sp2lo.LITMAS_TYPES)[:3] == ["diversi", "sidang_anak", "pembebasan_bersyarat"]
    assert sp2lo.LITMAS_TYPES["cuti_menjelang_bebas"] == "Cuti Menjelang Bebas (CMB)"
    assert set(sp2lo.STAGE_LABELS) == set(Stage)
    assert sp2lo.STAGE_LABELS["revision"] == "Dikembalikan untuk perbaikan"
    assert sp2lo.SECTION_LABELS[sp2lo.suggest_section("anak")] == "Kasubsi Bimbingan Klien Anak"
    assert sp2lo.suggest_section("dewasa") == "bkd"
    with pytest.raises(ValueError, match="unknown Litmas category 'remaja'"):
        sp2lo.suggest_section("remaja")


# --- deadlines ------------------------------------------------------------------------------


def test_child_litmas_runs_72_hours_through_the_weekend(rules: list[sp2lo.DeadlineRule]) -> None:
    rule = sp2lo.match_rule(rules, "anak", "sidang_anak")
    assert rule.name == "Litmas anak (3x24 jam)"
    assert rule.description == "3x24 jam sejak surat permintaan diterima"
    received = wib(2026, 11, 27, 15, 0)  # Friday 15:00 WIB
    assert sp2lo.compute_deadline(rule, received, None) == wib(2026, 11, 30, 15, 0)  # Monday


def test_child_litmas_runs_through_national_holidays(rules: list[sp2lo.DeadlineRule]) -> None:
    rule = sp2lo.match_rule(rules, "anak", "pembinaan_awal")
    # Wednesday before cuti bersama (24) and Natal (25): still 72 hours, Saturday morning.
    assert sp2lo.compute_deadline(rule, wib(2026, 12, 23, 9, 0)) == wib(2026, 12, 26, 9, 0)


def test_receipt_at_utc_evening_counts_in_wib(rules: list[sp2lo.DeadlineRule]) -> None:
    rule = sp2lo.match_rule(rules, "anak", "sidang_anak")
    received = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)  # Saturday 03:00 WIB
    deadline = sp2lo.compute_deadline(rule, received)
    assert deadline == wib(2026, 12, 1, 3, 0)  # Tuesday 03:00 WIB, shown as such to staff
    assert deadline.tzinfo is WIB
    assert deadline == received + timedelta(hours=72)  # the same instant either way


def test_diversion_litmas_gets_three_calendar_days(rules: list[sp2lo.DeadlineRule]) -> None:
    rule = sp2lo.match_rule(rules, "anak", "diversi")  # first match wins over "anak, *"
    assert rule.name == "Litmas diversi"
    assert rule.days == 3
    assert sp2lo.compute_deadline(rule, wib(2026, 11, 26, 10, 0)) == wib(2026, 11, 29, 10, 0)


def test_integration_litmas_waits_for_the_pk_appointment(rules: list[sp2lo.DeadlineRule]) -> None:
    rule = sp2lo.match_rule(rules, "dewasa", "pembebasan_bersyarat")
    assert rule.clock == "appointment"
    received = wib(2026, 11, 2, 9, 0)
    assert sp2lo.compute_deadline(rule, received, None) is None
    appointed = wib(2026, 11, 4, 13, 0)
    assert sp2lo.compute_deadline(rule, received, appointed) == wib(2026, 11, 11, 13, 0)


def test_other_adult_litmas_gets_fourteen_days(rules: list[sp2lo.DeadlineRule]) -> None:
    rule = sp2lo.match_rule(rules, "dewasa", "lainnya")
    assert sp2lo.compute_deadline(rule, wib(2026, 12, 1, 8, 0)) == wib(2026, 12, 15, 8, 0)


def test_working_day_rule_skips_weekend_and_holidays() -> None:
    table = [{"name": "Hari kerja", "category": "*", "litmas_type": "*",
              "clock": "receipt", "working_days": 2}]
    (rule,) = sp2lo.load_rules(table)
    assert rule.duration_text == "2 hari kerja"
    # Wednesday 23 Dec -> (24, 25 holidays; 26, 27 weekend) Monday 28, Tuesday 29.
    assert sp2lo.compute_deadline(rule, wib(2026, 12, 23, 14, 0)) == wib(2026, 12, 29, 14, 0)


def test_naive_receipt_time_is_refused(rules: list[sp2lo.DeadlineRule]) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        sp2lo.compute_deadline(rules[0], datetime(2026, 11, 27, 15, 0))


GOOD = {"name": "Semua", "category": "*", "litmas_type": "*", "clock": "receipt", "days": 7}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": 72}, r"sp2lo.rules\[0\] \('Semua'\): give exactly one of hours, days or "
                        r"working_days \(found: hours, days\)"),
        ({"days": None}, r"give exactly one of hours, days or working_days \(found: none\)"),
        ({"clock": "penunjukan"}, "clock must be 'receipt' or 'appointment'"),
        ({"litmas_type": ["diversi", "divers"]}, r"unknown litmas_type \['divers'\]"),
        ({"category": "remaja"}, "category must be '\\*' or one of"),
        ({"days": -3}, "days must be a positive whole number"),
        ({"days": 2.5}, "days must be a positive whole number"),
        ({"hour": 72}, r"unknown key\(s\) \['hour'\]"),
        ({"name": ""}, "'name' must be a non-empty text"),
    ],
)
def test_bad_rule_table_is_rejected_with_a_clear_message(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(sp2lo.RuleTableError, match=message):
        sp2lo.load_rules([{**GOOD, **change}])


def test_rule_table_must_cover_every_case() -> None:
    only_child = [{**GOOD, "category": "anak"}]
    with pytest.raises(sp2lo.RuleTableError, match="dewasa/diversi, dewasa/sidang_anak"):
        sp2lo.load_rules(only_child)
    assert len(sp2lo.load_rules(only_child, require_complete=False)) == 1
    with pytest.raises(sp2lo.RuleTableError, match="non-empty list"):
        sp2lo.load_rules({"sp2lo": {"rules": []}})
    with pytest.raises(sp2lo.RuleTableError, match=r"no \[\[sp2lo.rules\]\]"):
        sp2lo.load_rules({"sp2lo": {"reminder_fractions": [0.5]}})


def test_match_rule_without_a_match_says_so() -> None:
    rules = sp2lo.load_rules([{**GOOD, "category": "anak"}], require_complete=False)
    with pytest.raises(sp2lo.NoMatchingRuleError, match="category='dewasa'"):
        sp2lo.match_rule(rules, "dewasa", "asimilasi")


# --- PK suggestion --------------------------------------------------------------------------


def test_least_loaded_pk_is_suggested_with_stable_ties() -> None:
    candidates = [
        {"nip": "198703", "name": "Rahmat Hidayat", "email": "rahmat@bapas-jambi.example"},
        {"nip": "199001", "name": "siti Aminah"},
        {"nip": "198502", "name": "Budi Santoso"},
        {"nip": "199104", "name": "Siti Aminah"},
    ]
    loads = {"198703": 4, "199001": 1, "198502": 1, "199104": 1}
    ranked = sp2lo.suggest_pk(candidates, loads)
    assert [c["nip"] for c in ranked] == ["198502", "199001", "199104", "198703"]
    assert ranked[0]["open_litmas"] == 1
    assert ranked[-1]["email"] == "rahmat@bapas-jambi.example"  # other fields are kept
    assert "open_litmas" not in candidates[0]  # the input is not modified
    assert sp2lo.suggest_pk(list(reversed(candidates)), loads) == ranked


def test_pk_without_open_litmas_comes_first() -> None:
    ranked = sp2lo.suggest_pk([{"nip": "1", "name": "A"}, {"nip": "2", "name": "B"}], {"1": 2})
    assert [(c["nip"], c["open_litmas"]) for c in ranked] == [("2", 0), ("1", 2)]


# --- SPPD -----------------------------------------------------------------------------------

TRIP = {"destination": "Lapas Kelas IIA Jambi", "start_date": "2026-12-14",
        "end_date": "2026-12-15"}


def test_sppd_refused_before_approval_with_an_indonesian_reason() -> None:
    result = sp2lo.sppd_eligibility("in_review", None, wib(2026, 12, 16, 9, 0), TRIP)
    assert not result.eligible
    assert "Litmas belum disetujui Kasubsi" in result.reason
    assert "Menunggu rekomendasi Kasubsi" in result.reason


def test_sppd_needs_completion_and_a_trip() -> None:
    approved = wib(2026, 12, 17, 10, 0)
    assert "belum melaporkan" in sp2lo.sppd_eligibility("approved", approved, None, TRIP).reason
    no_trip = sp2lo.sppd_eligibility("approved", approved, approved, None)
    assert not no_trip.eligible and "Tidak ada perjalanan dinas" in no_trip.reason
    not_made = sp2lo.sppd_eligibility("approved", approved, approved, {**TRIP, "made": False})
    assert not not_made.eligible
    backwards = {**TRIP, "end_date": "2026-12-10"}
    assert not sp2lo.sppd_eligibility("approved", approved, approved, backwards).eligible


def test_sppd_granted_once_approved_and_not_twice() -> None:
    done = wib(2026, 12, 17, 10, 0)
    result = sp2lo.sppd_eligibility(Stage.APPROVED, done, done, TRIP)
    assert result.eligible
    assert "Lapas Kelas IIA Jambi" in result.reason
    settled = sp2lo.sppd_eligibility("settled", done, done, TRIP)
    assert not settled.eligible and "sudah dicairkan" in settled.reason


def test_accountability_due_five_working_days_after_the_trip() -> None:
    # Trip ends Friday 18 Dec: 21, 22, 23, (24-27 off), 28, 29 -> Tuesday 29 Dec, 23:59:59.
    assert sp2lo.accountability_due(date(2026, 12, 18)) == wib(2026, 12, 29, 23, 59, 59)
    assert sp2lo.accountability_due(wib(2026, 12, 18, 17, 0)) == wib(2026, 12, 29, 23, 59, 59)
    assert sp2lo.accountability_due(date(2026, 11, 27), 1) == wib(2026, 11, 30, 23, 59, 59)


# --- monitor --------------------------------------------------------------------------------

NOW = wib(2026, 11, 27, 12, 0)
HOURS_72 = timedelta(hours=72)


def monitor_cases(sent: list[Any]) -> pd.DataFrame:
    """Eight cases at known points of their 72-hour clock at NOW."""
    used = [0.4, 0.6, 0.85, 0.85, 0.9, 1.2, 1.2, None]
    stages = ["in_research", "assigned", "in_review", "revision", "registered",
              "in_research", "approved", "registered"]
    starts = [NOW - HOURS_72 * u if u is not None else NOW for u in used]
    deadlines = [s + HOURS_72 if u is not None else pd.NaT for s, u in zip(starts, used)]
    return pd.DataFrame({
        "case_number": [f"LIT-2026-{i:04d}" for i in range(1, 9)],
        "start_at": pd.to_datetime(starts),
        "deadline_at": pd.to_datetime(deadlines, utc=True).tz_convert("Asia/Jakarta"),
        "stage": stages,
        "reminders_sent": sent,
    })


NUMERIC_SENT = [0.0, 0.0, 0.5, 0.8, np.nan, 0.0, 0.0, 0.0]


def check_monitor(out: pd.DataFrame) -> None:
    by_case = out.set_index("case_number")
    np.testing.assert_allclose(
        by_case["elapsed_fraction"].to_numpy(),
        [0.4, 0.6, 0.85, 0.85, 0.9, 1.2, np.nan, np.nan],
    )
    assert by_case["overdue"].tolist() == [False] * 5 + [True, False, False]
    reminder = by_case["reminder_due"].tolist()
    assert np.isnan(reminder[0])  # 40 %: nothing yet
    assert reminder[1] == 0.5  # 60 %: first reminder
    assert reminder[2] == 0.8  # 85 % with 50 % already sent: the next one is 80 %
    assert np.isnan(reminder[3])  # 80 % already sent
    assert reminder[4] == 0.8  # 90 %, nothing sent: only the highest, not both
    assert np.isnan(reminder[5])  # overdue: escalation, not a reminder
    assert np.isnan(reminder[6])  # approved: no longer watched
    assert np.isnan(reminder[7])  # no deadline yet
    assert by_case.loc["LIT-2026-0006", "time_left"] == -timedelta(hours=72 * 0.2)
    assert by_case.loc["LIT-2026-0002", "time_left"] == timedelta(hours=72 * 0.4)
    assert pd.isna(by_case.loc["LIT-2026-0007", "time_left"])
    assert pd.isna(by_case.loc["LIT-2026-0008", "time_left"])
    assert by_case["is_open"].tolist() == [True] * 6 + [False, True]


def test_overdue_and_reminder_fractions() -> None:
    cases = monitor_cases(NUMERIC_SENT)
    before = cases.copy()
    out = sp2lo.overdue_frame(cases, NOW)
    check_monitor(out)
    pd.testing.assert_frame_equal(cases, before)  # the caller's frame is untouched
    assert str(out["time_left"].dtype) == "timedelta64[ns]"


def test_overdue_check_reads_the_stores_reminder_records() -> None:
    stored = [{}, None, {"0.5": "2026-11-26T10:00:00+07:00"}, [0.5, 0.8], [], {}, {}, {}]
    check_monitor(sp2lo.overdue_frame(monitor_cases(stored), NOW))


def test_overdue_check_accepts_categorical_stage_and_utc_now() -> None:
    cases = monitor_cases(NUMERIC_SENT)
    cases["stage"] = cases["stage"].astype("category")
    check_monitor(sp2lo.overdue_frame(cases, NOW.astimezone(timezone.utc)))


def test_overdue_check_refuses_naive_times() -> None:
    cases = monitor_cases(NUMERIC_SENT)
    cases["start_at"] = cases["start_at"].dt.tz_localize(None)
    with pytest.raises(ValueError, match="'start_at' holds naive datetimes"):
        sp2lo.overdue_frame(cases, NOW)
    with pytest.raises(ValueError, match="naive datetime"):
        sp2lo.overdue_frame(monitor_cases(NUMERIC_SENT), datetime(2026, 11, 27, 12, 0))
    with pytest.raises(KeyError, match="deadline_at"):
        sp2lo.overdue_frame(cases.drop(columns="deadline_at"), NOW)


def test_overdue_check_handles_many_cases_without_row_loops() -> None:
    n = 200_000
    rng = np.random.default_rng(7)
    start = pd.Timestamp(NOW) - pd.to_timedelta(rng.integers(0, 10 * 86_400, n), unit="s")
    cases = pd.DataFrame({
        "case_number": np.arange(n),
        "start_at": start,
        "deadline_at": start + HOURS_72,
        "stage": pd.Categorical(rng.choice(["in_research", "approved"], n)),
        "reminders_sent": rng.choice([0.0, 0.5], n),
    })
    out = sp2lo.overdue_frame(cases, NOW)
    open_ = out["stage"] != "approved"
    expected_overdue = open_ & (out["deadline_at"] < pd.Timestamp(NOW))
    assert (out["overdue"] == expected_overdue).all()
    assert set(out["reminder_due"].dropna().unique()) <= {0.5, 0.8}


# --- report ---------------------------------------------------------------------------------


def report_cases() -> pd.DataFrame:
    d = wib(2026, 11, 10, 12, 0)
    rows = [
        # section, nip, name, stage, deadline, approved
        ("bka", "101", "Ani", "approved", d, d - timedelta(hours=2)),
        ("bka", "101", "Ani", "closed", d, d + timedelta(hours=5)),
        ("bka", "102", "Bayu", "settled", d, d),
        ("bkd", "201", "Citra", "sppd_eligible", d, d + timedelta(days=1)),
        ("bkd", "201", "Citra", "approved", None, d),
        ("bkd", "201", "Citra", "in_research", d, None),  # still open: not counted
    ]
    frame = pd.DataFrame(rows, columns=["section", "pk_nip", "pk_name", "stage",
                                        "deadline_at", "approved_at"])
    for column in ("deadline_at", "approved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def test_on_time_report_per_section_and_pk() -> None:
    report = sp2lo.on_time_report(report_cases())
    assert report["total"] == {"finished": 5, "on_time": 2, "late": 2, "no_deadline": 1,
                               "on_time_rate": 0.5}
    assert list(report["by_section"]) == ["bka", "bkd"]
    bka = report["by_section"]["bka"]
    assert (bka["finished"], bka["on_time"], bka["late"]) == (3, 2, 1)
    assert bka["label"] == "Bimbingan Klien Anak (BKA)"
    assert report["by_pk"]["101"]["on_time_rate"] == 0.5
    assert report["by_pk"]["102"] == {"pk_nip": "102", "pk_name": "Bayu", "section": "bka",
                                      "finished": 1, "on_time": 1, "late": 0,
                                      "no_deadline": 0, "on_time_rate": 1.0}
    citra = report["by_pk"]["201"]
    assert (citra["finished"], citra["late"], citra["no_deadline"]) == (2, 1, 1)
    assert list(report["by_pk"]) == ["101", "102", "201"]  # by name


def test_on_time_chart_is_a_png() -> None:
    png = sp2lo.render_on_time_chart(sp2lo.on_time_report(report_cases()), "November 2026")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    empty = sp2lo.render_on_time_chart(sp2lo.on_time_report(report_cases().iloc[5:]))
    assert empty.startswith(b"\x89PNG")


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(days=2, hours=3, minutes=59), "2 hari 3 jam"),
        (timedelta(days=1), "1 hari"),
        (timedelta(hours=3, minutes=20), "3 jam 20 menit"),
        (timedelta(minutes=45), "45 menit"),
        (timedelta(seconds=20), "kurang dari 1 menit"),
        (-timedelta(hours=5), "terlambat 5 jam"),
        (-timedelta(days=1, hours=2), "terlambat 1 hari 2 jam"),
        (pd.Timedelta(hours=26), "1 hari 2 jam"),
        (None, "-"),
        (pd.NaT, "-"),
    ],
)
def test_duration_in_indonesian(td: Any, text: str) -> None:
    assert sp2lo.format_duration_id(td) == text
