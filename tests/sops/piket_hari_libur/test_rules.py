"""The holiday duty rotation and its calendar, tested directly on pinned dates."""

from __future__ import annotations

from datetime import date

import pytest

from bapas_sop.absences import Absence, AbsenceRegister
from bapas_sop.sops.piket_hari_libur import rules

PK = [rules.Candidate("pk1", "Ani", ("pk",)), rules.Candidate("pk2", "Budi", ("pk",)),
      rules.Candidate("pk3", "Citra", ("pk",))]
STAFF = [rules.Candidate("s1", "Dodi", ("staff_tu",)), rules.Candidate("s2", "Eka", ("humas",)),
         rules.Candidate("boss", "Kepala", ("kabapas",))]
PLACES = rules.team_from_config({})
POOL = rules.pools([*PK, *STAFF], PLACES)
SAT, SUN = date(2026, 12, 5), date(2026, 12, 6)
WEEKEND_DAYS = [SAT, SUN, date(2026, 12, 12), date(2026, 12, 13)]


def test_default_team_is_one_pk_and_one_other_employee_and_the_kabapas_never_serves() -> None:
    assert PLACES == (rules.Place("pk", 1), rules.Place("lainnya", 1))
    assert [c.nip for c in POOL["pk"]] == ["pk1", "pk2", "pk3"]
    assert [c.nip for c in POOL["lainnya"]] == ["s1", "s2"]


def test_configured_team_and_bad_entries() -> None:
    places = rules.team_from_config({"regu": [{"peran": "pk", "jumlah": 2}, {"peran": "staff_tu"}]})
    assert places == (rules.Place("pk", 2), rules.Place("staff_tu", 1))
    with pytest.raises(rules.RosterError, match="tidak valid"):
        rules.team_from_config({"regu": [{"peran": "pk", "jumlah": 0}]})


def test_fewest_duties_this_year_first_with_a_deterministic_tie_break() -> None:
    draft = rules.draft_rotation([SAT], PLACES, POOL, past_counts={"pk1": 3, "pk2": 1, "pk3": 1, "s1": 0, "s2": 2})
    # pk2 and pk3 tie on one duty, never served: the lower NIP; s1 has fewer than s2.
    assert [(d.role, d.nip) for d in draft.duties] == [("pk", "pk2"), ("lainnya", "s1")]
    again = rules.draft_rotation([SAT], PLACES, POOL, past_counts={"pk1": 3, "pk2": 1, "pk3": 1, "s1": 0, "s2": 2})
    assert again.duties == draft.duties


def test_whoever_served_longest_ago_breaks_a_tie_in_counts() -> None:
    draft = rules.draft_rotation([SAT], PLACES, POOL, past_counts={"pk1": 1, "pk2": 1, "pk3": 1},
                                 last_served={"pk1": date(2026, 11, 28), "pk2": date(2026, 10, 3), "pk3": date(2026, 11, 1)})
    assert draft.duties[0].nip == "pk2"


def test_duties_spread_evenly_and_nobody_on_two_consecutive_duty_days() -> None:
    draft = rules.draft_rotation(WEEKEND_DAYS, PLACES, POOL)
    by_day = draft.by_day()
    for first, second in zip(WEEKEND_DAYS, WEEKEND_DAYS[1:]):
        assert not {d.nip for d in by_day[first]} & {d.nip for d in by_day[second]}, (first, second)
    counts = draft.counts()
    assert counts == {"pk1": 2, "pk2": 1, "pk3": 1, "s1": 2, "s2": 2}
    assert not draft.notes


def test_consecutive_days_when_unavoidable_are_noted() -> None:
    pool = {"pk": PK[:1], "lainnya": STAFF[:2]}
    draft = rules.draft_rotation([SAT, SUN], PLACES, pool)
    assert [d.nip for d in draft.duties if d.role == "pk"] == ["pk1", "pk1"]
    assert any("berturut-turut" in note and "Ani" in note for note in draft.notes)


def test_nobody_away_that_day_serves_using_the_dated_register() -> None:
    register = AbsenceRegister([Absence("pk1", "cuti", date(2026, 12, 1), date(2026, 12, 6)),
                                Absence("s1", "dinas_luar", SAT, SAT)])
    draft = rules.draft_rotation(WEEKEND_DAYS, PLACES, POOL, is_away=register.is_away)
    by_day = draft.by_day()
    assert "pk1" not in {d.nip for d in by_day[SAT] + by_day[SUN]}
    assert "s1" not in {d.nip for d in by_day[SAT]}
    # Back from leave with the fewest duties: first in line the next weekend.
    assert by_day[date(2026, 12, 12)][0].nip == "pk1"


def test_a_place_nobody_can_fill_is_left_empty_with_a_note() -> None:
    draft = rules.draft_rotation([SAT], PLACES, POOL, is_away=lambda nip, day: nip.startswith("pk"))
    assert draft.duties[0] == rules.Duty(SAT, "pk", None)
    assert "tidak ada PK" in draft.notes[0] and "Sabtu, 5 Desember 2026" in draft.notes[0]


def test_swaps_are_made_in_order_and_wrong_ones_refused_with_a_reason() -> None:
    duties = [rules.Duty(SAT, "pk", "pk1"), rules.Duty(SAT, "lainnya", "s1"), rules.Duty(SUN, "pk", "pk2")]
    names = {"pk1": "Ani", "pk2": "Budi", "pk3": "Citra", "s1": "Dodi", "s2": "Eka"}
    swaps = [
        rules.Swap(SAT, "pk1", "pk3"),   # made
        rules.Swap(SAT, "pk1", "pk2"),   # pk1 is no longer on Saturday
        rules.Swap(SUN, "pk2", "s2"),    # s2 away on Sunday
        rules.Swap(SAT, "s1", "pk3"),    # pk3 already on Saturday
    ]
    result, refused = rules.apply_swaps(duties, swaps, names=names, is_away=lambda nip, day: (nip, day) == ("s2", SUN))
    assert [d.nip for d in result] == ["pk3", "s1", "pk2"]
    assert refused == [
        "Sabtu, 5 Desember 2026: Ani tidak terjadwal pada hari itu.",
        "Minggu, 6 Desember 2026: Eka sedang cuti atau dinas luar pada hari itu.",
        "Sabtu, 5 Desember 2026: Citra sudah bertugas pada hari itu.",
    ]


@pytest.mark.parametrize(("asked", "run_date", "expected"), [
    (None, date(2026, 11, 20), "2026-12"),
    (None, date(2026, 12, 20), "2027-01"),
    ("2027-03", date(2026, 11, 20), "2027-03"),
])
def test_the_month_a_run_drafts(asked, run_date, expected) -> None:
    assert rules.month_to_plan(asked, run_date) == expected


def test_a_bad_month_is_refused_in_indonesian() -> None:
    with pytest.raises(rules.RosterError, match="tidak valid"):
        rules.month_to_plan("2026-13", date(2026, 11, 20))


def test_december_2026_non_working_days_from_the_office_calendar() -> None:
    from bapas_sop.calendar import non_working_days

    days = dict(non_working_days(2026, 12))
    assert days[date(2026, 12, 24)] == "Cuti Bersama Hari Raya Natal"
    assert date(2026, 12, 25) in days and SAT in days and date(2026, 12, 7) not in days
    assert rules.month_label("2026-12") == "Desember 2026"
    assert rules.month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))


def test_report_covers_the_duty_days_since_the_previous_working_day() -> None:
    duty_days = [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2026, 12, 27), date(2027, 1, 1)]
    # Monday 28 December: previous working day Wednesday 23 December (24-27 are off).
    assert rules.days_to_report(date(2026, 12, 28), duty_days, date(2026, 12, 23)) == duty_days[:4]
    assert rules.days_to_report(date(2026, 12, 23), duty_days, date(2026, 12, 22)) == []


def test_clock_text() -> None:
    assert rules.parse_clock("08.30").hour == 8 and rules.parse_clock("08:30").minute == 30
    with pytest.raises(rules.RosterError):
        rules.parse_clock("pagi")
