"""Yanpatmas's rules on pinned dates: deadlines across weekends and holidays, the conflict of
interest, the rule table's checks, the public wording and the monthly figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bapas_sop.calendar import WIB
from bapas_sop.sops.yanpatmas import rules
from tests.support import people

TABLE = {"batas_waktu": [
    {"key": "kelengkapan", "dari": "diterima", "working_days": 3},
    {"key": "tanggapan_pertama", "dari": "diterima", "working_days": 5},
    {"key": "penyelesaian_tanpa_pemeriksaan", "dari": "lengkap", "days": 14},
    {"key": "penyelesaian_dengan_pemeriksaan", "dari": "lengkap", "days": 60},
]}


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


def last_moment(day: date) -> tuple[date, int]:
    return day, 23


@pytest.mark.parametrize("received,completeness,first_answer", [
    # Wednesday: Thursday to Monday of the next week.
    (wib(2026, 11, 18, 9), date(2026, 11, 23), date(2026, 11, 25)),
    # Friday afternoon: the weekend does not count.
    (wib(2026, 11, 20, 15), date(2026, 11, 25), date(2026, 11, 27)),
    # Saturday: counted from Monday.
    (wib(2026, 11, 21, 10), date(2026, 11, 25), date(2026, 11, 27)),
    # Before Christmas: cuti bersama (24th), Christmas (25th), the weekend and New Year's Day are skipped.
    (wib(2026, 12, 23, 10), date(2026, 12, 30), date(2027, 1, 4)),
    # Around Independence Day (Monday 17 August 2026).
    (wib(2026, 8, 14, 8), date(2026, 8, 20), date(2026, 8, 24)),
])
def test_working_day_deadlines_skip_weekends_and_holidays(received, completeness, first_answer):
    due = rules.deadlines(rules.load_rules(TABLE), received)
    assert (due.completeness.date(), due.completeness.hour) == last_moment(completeness)
    assert (due.first_answer.date(), due.first_answer.hour) == last_moment(first_answer)
    assert due.resolution is None  # unknown until the Kepala Bapas decides on an examination


def test_resolution_counts_calendar_days_from_completeness():
    table = rules.load_rules(TABLE)
    received, complete = wib(2026, 11, 18, 9), wib(2026, 11, 30, 14)
    assert rules.deadlines(table, received, examination=False).resolution.date() == date(2026, 12, 2)
    assert rules.deadlines(table, received, complete_at=complete, examination=False).resolution.date() == date(2026, 12, 14)
    assert rules.deadlines(table, received, complete_at=complete, examination=True).resolution.date() == date(2027, 1, 29)


def test_the_office_table_gives_the_documented_defaults():
    table = rules.load_rules()
    assert {k: r.describe() for k, r in table.items()} == {
        "kelengkapan": "3 hari kerja", "tanggapan_pertama": "5 hari kerja",
        "penyelesaian_tanpa_pemeriksaan": "14 hari", "penyelesaian_dengan_pemeriksaan": "60 hari",
    }


@pytest.mark.parametrize("change,message", [
    (lambda t: t["batas_waktu"].pop(), "lacks penyelesaian_dengan_pemeriksaan"),
    (lambda t: t["batas_waktu"][0].update(days=3), "exactly one of working_days or days"),
    (lambda t: t["batas_waktu"][1].update(dari="besok"), "dari must be one of"),
    (lambda t: t["batas_waktu"][2].update(days=0), "at least 1"),
    (lambda t: t["batas_waktu"].append(dict(t["batas_waktu"][0])), "given twice"),
    (lambda t: t["batas_waktu"][0].update(key="lain"), "key must be one of"),
])
def test_a_bad_table_is_refused_with_its_place(change, message):
    table = {"batas_waktu": [dict(row) for row in TABLE["batas_waktu"]]}
    change(table)
    with pytest.raises(rules.RuleTableError, match=message):
        rules.load_rules(table)


SUPERVISORS = {p.nip: p.supervisor_nip for p in people.everyone()}
NAMES = {p.nip: p.name for p in people.everyone()}


@pytest.mark.parametrize("examiner,reported,refused", [
    (people.RINA, people.RINA, "terlapor) sendiri"),  # the person complained about
    (people.RINA, people.KASUBSI_BKA, "bawahan Sri Wahyuni"),  # a direct subordinate
    (people.RINA, people.KABAPAS, "bawahan Hendra Gunawan Siregar"),  # further down the line
    (people.KASUBSI_BKA, people.RINA, None),  # the superior may examine
    (people.SITI, people.KASUBSI_BKA, None),  # another section's PK
    (people.FAJAR, None, None),  # nobody named
])
def test_conflict_of_interest(examiner, reported, refused):
    reason = rules.conflict_of_interest(examiner.nip, reported.nip if reported else None, SUPERVISORS, NAMES)
    if refused is None:
        assert reason is None
    else:
        assert refused in reason and "Pilih pemeriksa" in reason


def test_a_cycle_in_the_supervisors_ends_the_walk():
    cycle = {"a": "b", "b": "c", "c": "a"}
    assert rules.supervised_by("a", "c", cycle)
    assert not rules.supervised_by("a", "z", cycle)


def test_every_stage_has_plain_public_words():
    for stage in rules.Stage:
        text = rules.public_status(stage)
        assert text.endswith(".") and "_" not in text


def test_monthly_figures():
    rows = [
        {"ticket": "YP-2026-0001", "category": "pelayanan", "channel": "web", "stage": "selesai", "on_time": True},
        {"ticket": "YP-2026-0002", "category": "pelayanan", "channel": "whatsapp", "stage": "selesai", "on_time": False},
        {"ticket": "YP-2026-0003", "category": None, "channel": "web", "stage": "diterima", "on_time": None},
    ]
    figures = rules.monthly_figures(rows)
    assert figures["total"] == 3 and figures["resolved"] == 2 and figures["on_time"] == 1 and figures["open"] == 1
    assert figures["on_time_rate"] == 0.5
    assert dict(figures["by_channel"]) == {"Halaman pengaduan (YANPATMAS)": 2, "WhatsApp": 1}
    assert dict(figures["by_category"]) == {"Kualitas pelayanan": 2, "Belum ditelaah": 1}
    assert rules.monthly_figures([])["on_time_rate"] is None


def test_on_time():
    due = wib(2026, 11, 23, 23, 59)
    assert rules.on_time(due - timedelta(hours=1), due) is True
    assert rules.on_time(due + timedelta(minutes=1), due) is False
    assert rules.on_time(None, due) is None
