"""The human-step figures on hand-made step records whose answers are known."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from bapas_sop.kinerja.steps import add_period, classify, last_months, summarise, trend

UTC = timezone.utc
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)   # 12:00 WIB
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)      # 09:00 WIB, a Monday


def step(run: str, *, sop="sp2lo", role="pk", nip="1", section="bka", hours_given=24, answered_after=None,
         status=None, created=T0, **flags):
    due = created + timedelta(hours=hours_given)
    answered = created + timedelta(hours=answered_after) if answered_after is not None else None
    return {
        "sop": sop, "dag_id": sop, "run_id": run, "step": "langkah", "role": role, "assignee_nip": nip,
        "section": section, "created_at": created, "due_at": due, "answered_at": answered,
        "status": status or ("answered" if answered else "open"),
        "reminded": flags.get("reminded", False), "escalated": flags.get("escalated", False),
        "substituted": flags.get("substituted", False), "handed_over": flags.get("handed_over", False),
        "defaulted": flags.get("defaulted", False),
    }


def frame(*rows):
    return pd.DataFrame(list(rows))


def test_each_outcome_is_told_apart():
    steps = classify(frame(
        step("r1", answered_after=5),                          # on time
        step("r2", answered_after=30, reminded=True),           # late
        step("r3", status="expired", escalated=True, defaulted=True),
        step("r4", created=NOW - timedelta(hours=1)),           # waiting, not yet due
        step("r5"),                                             # waiting, overdue
    ), NOW)
    assert list(steps["outcome"]) == ["tepat_waktu", "terlambat", "tidak_dijawab", "terbuka", "terbuka_lewat"]
    assert steps["answer_hours"].tolist()[:2] == [5.0, 30.0]
    assert steps["answer_ratio"].tolist()[:2] == [pytest.approx(5 / 24), pytest.approx(30 / 24)]


def test_answer_exactly_at_the_deadline_is_on_time():
    steps = classify(frame(step("r1", answered_after=24)), NOW)
    assert steps["outcome"].iloc[0] == "tepat_waktu"


def test_summary_per_sop_counts_rates_times_and_interventions():
    steps = classify(frame(
        step("a1", answered_after=2),
        step("a1", answered_after=4),
        step("a2", answered_after=48, escalated=True, reminded=True),
        step("a3", status="expired", defaulted=True, substituted=True),
        step("b1", sop="peterpan", role="pegawai", answered_after=1, handed_over=True),
        step("b2", sop="peterpan", role="pegawai"),                      # overdue, still open
    ), NOW)
    summary = summarise(steps, ["sop"]).set_index("sop")
    sp2lo = summary.loc["sp2lo"]
    assert (sp2lo["steps"], sp2lo["tepat_waktu"], sp2lo["terlambat"], sp2lo["tidak_dijawab"]) == (4, 2, 1, 1)
    assert sp2lo["on_time_rate"] == pytest.approx(2 / 4)
    assert sp2lo["median_hours"] == pytest.approx(4.0)              # of 2, 4, 48
    assert sp2lo["p90_hours"] == pytest.approx(4 + 0.8 * (48 - 4))  # linear interpolation
    assert (sp2lo["reminders"], sp2lo["escalations"], sp2lo["substitutions"], sp2lo["defaults"]) == (1, 1, 1, 1)
    assert (sp2lo["runs"], sp2lo["runs_open"]) == (3, 0)
    peterpan = summary.loc["peterpan"]
    assert (peterpan["handovers"], peterpan["terbuka_lewat"], peterpan["runs"], peterpan["runs_open"]) == (1, 1, 2, 1)
    assert peterpan["on_time_rate"] == 1.0  # the open step is not yet judged


def test_by_role_and_person():
    steps = classify(frame(
        step("a", role="kabapas", nip="K", section="pimpinan", answered_after=30),
        step("b", role="pk", nip="P", answered_after=1),
        step("c", role="pk", nip="Q", answered_after=1),
    ), NOW)
    by_role = summarise(steps, ["role"]).set_index("role")
    assert by_role.loc["kabapas", "on_time_rate"] == 0.0 and by_role.loc["pk", "steps"] == 2
    by_person = summarise(steps, ["assignee_nip", "section"]).set_index("assignee_nip")
    assert by_person.loc["K", "section"] == "pimpinan" and by_person.loc["P", "tepat_waktu"] == 1


def test_periods_follow_wib_not_utc():
    # 31 Oct 2026 20:00 UTC is already 1 November 03:00 WIB.
    late_october_utc = datetime(2026, 10, 31, 20, 0, tzinfo=UTC)
    steps = add_period(classify(frame(step("a", created=late_october_utc, answered_after=1)), NOW), "M")
    assert steps["period"].iloc[0] == "2026-11"
    assert add_period(steps, "Q")["period"].iloc[0] == "2026-Q4"


def test_trend_over_six_months_and_empty_months():
    months = last_months(NOW, 6)
    assert months == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    steps = classify(frame(
        step("a", created=datetime(2026, 9, 10, 2, tzinfo=UTC), answered_after=1),
        step("b", created=datetime(2026, 9, 11, 2, tzinfo=UTC), answered_after=99),
        step("c", answered_after=1),
    ), NOW)
    table = trend(steps, by="sop", months=months)
    assert table.loc["sp2lo", "2026-09"] == 0.5 and table.loc["sp2lo", "2026-11"] == 1.0
    assert pd.isna(table.loc["sp2lo", "2026-06"])


def test_missing_columns_are_refused():
    with pytest.raises(ValueError, match="lack columns"):
        classify(pd.DataFrame([{"sop": "x"}]), NOW)
