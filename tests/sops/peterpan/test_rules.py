"""Peterpan rules: quarters, who votes and who can be chosen, ballots, tally, ties, chart."""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pytest

from bapas_sop.calendar import WIB
from bapas_sop.directory import Directory, Person
from bapas_sop.sops.peterpan import rules as peterpan
from bapas_sop.sops.peterpan.rules import Quarter, ballots_frame, check_ballots, tally

from tests.support.people import KABAPAS


def people() -> Directory:
    return Directory([
        Person("197408121999031002", "Kepala", "k@x.example", roles=("kabapas",), section="pimpinan"),
        Person("198607212010122003", "Rina", "r@x.example", roles=("pk",), section="bka", supervisor_nip=KABAPAS.nip),
        Person("198903052014031001", "Dedi", "d@x.example", roles=("pk",), section="bka", supervisor_nip=KABAPAS.nip),
        Person("199209182017122004", "Putri", "p@x.example", roles=("pk",), section="bka", supervisor_nip=KABAPAS.nip,
               on_leave=True, stand_in_nip="198903052014031001"),
        Person("198103102007011005", "Joko", "j@x.example", roles=("pk",), section="bkd", supervisor_nip=KABAPAS.nip,
               active=False),
    ])


# --------------------------------------------------------------------------- quarters


def test_quarter_text_labels_and_bounds() -> None:
    q = Quarter.parse("2026-Q3")
    assert (q.key, q.label, q.months_label) == ("2026-Q3", "Triwulan III 2026", "Juli–September 2026")
    assert (q.first_day, q.last_day) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Quarter.parse(" 2026q4 ") == Quarter(2026, 4)
    assert Quarter(2026, 1).previous() == Quarter(2025, 4) and Quarter(2026, 4).next() == Quarter(2027, 1)
    assert peterpan.certificate_number(q) == "PETERPAN/III/2026"


@pytest.mark.parametrize("text", ["2026-Q5", "Q3-2026", "", "2026-3"])
def test_a_bad_quarter_is_refused_in_indonesian(text: str) -> None:
    with pytest.raises(ValueError, match="tidak dikenali|triwulan harus"):
        Quarter.parse(text)


def test_the_quarter_of_a_moment_is_read_in_wib() -> None:
    # 30 September 2026, 18.00 UTC is already 1 October in Jambi.
    assert Quarter.of(datetime(2026, 9, 30, 18, 0, tzinfo=timezone.utc)) == Quarter(2026, 4)
    assert Quarter.of(datetime(2026, 9, 30, 16, 0, tzinfo=timezone.utc)) == Quarter(2026, 3)


def test_quarter_for_run_prefers_the_admin_then_the_data_interval() -> None:
    start_q3 = datetime(2026, 7, 1, tzinfo=WIB)
    assert peterpan.quarter_for_run("2025-Q4", start_q3, None) == Quarter(2025, 4)
    assert peterpan.quarter_for_run(None, start_q3, datetime(2026, 10, 1, tzinfo=WIB)) == Quarter(2026, 3)
    assert peterpan.quarter_for_run(None, None, datetime(2026, 10, 15, tzinfo=WIB)) == Quarter(2026, 3)


def test_the_survey_closes_after_working_days_at_four_pm() -> None:
    opened = datetime(2026, 10, 1, 8, 0, tzinfo=WIB)  # Thursday
    assert peterpan.closing_time(opened, 5) == datetime(2026, 10, 8, 16, 0, tzinfo=WIB)


# --------------------------------------------------------------------------- who


def test_voters_are_available_employees_and_candidates_exclude_the_kabapas() -> None:
    directory = people()
    assert [p.name for p in peterpan.eligible_voters(directory)] == ["Kepala", "Rina", "Dedi"]
    # Putri is on leave: no ballot, but her quarter's work can still be chosen.
    assert [p.name for p in peterpan.eligible_candidates(directory)] == ["Rina", "Dedi", "Putri"]


def test_a_ballot_never_lists_its_voter() -> None:
    candidates = [peterpan.candidate_option(p) for p in peterpan.eligible_candidates(people())]
    rina = "198607212010122003"
    assert rina not in [c["value"] for c in peterpan.ballot_choices(candidates, rina)]
    assert len(peterpan.ballot_choices(candidates, KABAPAS.nip)) == 3


# --------------------------------------------------------------------------- ballots


VOTERS = ["a", "b", "c", "d", "e"]
CANDIDATES = ["a", "b", "c"]


def test_a_vote_for_oneself_is_rejected() -> None:
    checked = check_ballots(ballots_frame([{"voter": "a", "candidate": "a"}, {"voter": "b", "candidate": "a"}]),
                            VOTERS, CANDIDATES)
    assert checked.accepted.to_dict("records") == [{"voter": "b", "candidate": "a"}]
    assert checked.rejected.to_dict("records") == [{"voter": "a", "candidate": "a", "reason": "memilih_diri_sendiri"}]


def test_a_second_vote_is_rejected_and_the_first_counts() -> None:
    rows = [{"voter": "d", "candidate": "b"}, {"voter": "d", "candidate": "c"}, {"voter": "d", "candidate": "b"}]
    result = tally(ballots_frame(rows), VOTERS, CANDIDATES)
    assert dict(result.counts) == {"b": 1, "a": 0, "c": 0}
    assert list(result.rejected["reason"]) == ["suara_ganda", "suara_ganda"]
    assert result.voted == 1


def test_after_an_invalid_first_ballot_a_second_one_still_does_not_count() -> None:
    rows = [{"voter": "a", "candidate": "a"}, {"voter": "a", "candidate": "b"}]
    result = tally(ballots_frame(rows), VOTERS, CANDIDATES)
    assert result.total_votes == 0
    assert list(result.rejected["reason"]) == ["memilih_diri_sendiri", "suara_ganda"]


def test_strangers_and_unknown_candidates_are_rejected_abstentions_are_not_votes() -> None:
    rows = [
        {"voter": "x", "candidate": "a"},  # not a voter
        {"voter": "e", "candidate": "zz"},  # not a candidate
        {"voter": "c", "candidate": None},  # ballot expired
        {"voter": "c", "candidate": "a"},  # an abstention next to a vote is not a second vote
    ]
    checked = check_ballots(ballots_frame(rows), VOTERS, CANDIDATES)
    assert dict(zip(checked.rejected["voter"], checked.rejected["reason"], strict=True)) == {
        "x": "bukan_pemilih", "e": "kandidat_tidak_sah"}
    assert checked.accepted.to_dict("records") == [{"voter": "c", "candidate": "a"}]
    assert list(checked.abstained["voter"]) == ["c"]
    assert set(peterpan.REJECTION_REASONS) >= set(checked.rejected["reason"])


def test_tally_counts_orders_and_computes_participation() -> None:
    rows = [{"voter": v, "candidate": c} for v, c in [("a", "b"), ("b", "c"), ("c", "b"), ("d", None), ("e", "b")]]
    result = tally(ballots_frame(rows), VOTERS, CANDIDATES)
    assert list(result.counts.items()) == [("b", 3), ("c", 1), ("a", 0)]
    assert (result.status, result.winner, result.top) == (peterpan.WINNER, "b", ["b"])
    assert (result.voted, result.voters, result.participation) == (4, 5, 0.8)
    data = result.as_dict()
    assert data["counts"][0] == {"nip": "b", "votes": 3} and data["participation"] == 0.8


def test_a_tie_lists_every_leader_in_candidate_order() -> None:
    rows = [{"voter": "a", "candidate": "c"}, {"voter": "b", "candidate": "a"}, {"voter": "d", "candidate": "b"}]
    result = tally(ballots_frame(rows), VOTERS, CANDIDATES)
    assert (result.status, result.winner, result.top) == (peterpan.TIE, None, ["a", "b", "c"])
    rows.append({"voter": "e", "candidate": "c"})
    assert tally(ballots_frame(rows), VOTERS, CANDIDATES).winner == "c"


def test_nobody_voting_is_a_tie_of_everyone_for_the_kabapas() -> None:
    rows = [{"voter": v, "candidate": None} for v in VOTERS]
    result = tally(ballots_frame(rows), VOTERS, CANDIDATES)
    assert (result.status, result.top, result.participation) == (peterpan.NO_VOTES, CANDIDATES, 0.0)
    assert tally(ballots_frame([]), VOTERS, CANDIDATES).status == peterpan.NO_VOTES


def test_a_hundred_thousand_ballots_are_counted_right() -> None:
    """How fast is measured by ``bench/peterpan_tally.py`` (a time budget here would fail on
    a loaded machine and say nothing about the count)."""
    rng = np.random.default_rng(7)
    voters = [f"v{i:06d}" for i in range(100_000)]
    candidates = voters[-300:]  # none of the first 500 voters is a candidate: no self-vote among the repeats
    frame = pd.DataFrame({"voter": voters, "candidate": rng.choice(candidates, len(voters))})
    frame.loc[::10, "candidate"] = None  # abstentions
    frame = pd.concat([frame, frame.head(500)], ignore_index=True)  # 500 second votes
    result = tally(frame, voters, candidates)
    self_votes = int((frame["voter"] == frame["candidate"]).sum())
    assert result.voted == 90_000 - self_votes
    assert (result.rejected["reason"] == "suara_ganda").sum() == 450  # the 50 repeated abstentions are not votes
    assert result.total_votes == result.voted


# --------------------------------------------------------------------------- chart


def test_the_results_chart_is_a_png_with_the_winner_highlighted() -> None:
    rows = [{"nip": "b", "name": "Dedi Kurniawan", "votes": 5}, {"nip": "a", "name": "Rina Marlina", "votes": 5},
            {"nip": "c", "name": "Maya", "votes": 0}]
    png = peterpan.render_results_chart(rows, title="Hasil Survei Peterpan Triwulan III 2026", participation=0.75,
                                        highlight="b")
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_default_citation_names_quarter_and_office() -> None:
    text = peterpan.default_citation(Quarter(2026, 3), "Balai Pemasyarakatan Kelas II Jambi")
    assert "Triwulan III 2026" in text and "Balai Pemasyarakatan Kelas II Jambi" in text
