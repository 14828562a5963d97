"""Pasjam School's rules, directly: the register, the term, the risk score and the quiz.

Every date is pinned here; nothing depends on the day the tests run.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from bapas_sop.settings import PROJECT_DIR
from bapas_sop.sops.pasjam_school import rules

TODAY = date(2026, 11, 18)
CONFIG = rules.RiskConfig.from_config({})


def _register(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame([{"npsn": n, "nama": name, "jenjang": level, "kabupaten": district,
                           "kunjungan_terakhir": None} for n, name, level, district in rows])
    return frame.set_index("npsn", drop=False).rename_axis(None)


def test_the_demo_register_is_valid_and_drops_the_inactive_school():
    result = rules.read_register(PROJECT_DIR / "include" / "data" / rules.REGISTER_FILE)
    assert result.ok, result.errors
    frame = rules.register_frame(result)
    assert len(frame) == 11 and "10990112" not in frame.index
    assert set(frame["jenjang"]) == {"SD", "SMP", "SMA", "SMK"}
    assert frame.loc["10990101", "kunjungan_terakhir"] == date(2024, 9, 12)


def test_every_bad_row_of_the_register_is_named_in_indonesian():
    text = (
        "npsn;nama;jenjang;alamat;kabupaten;kontak_nama;kontak_email\n"
        "10990101;SMP A;SMP;Jl. A;Kota Jambi;Budi;budi@a.example\n"
        "1099;SMP B;SMP;Jl. B;Kota Jambi;Ani;ani@b.example\n"
        "10990103;SMP C;TK;Jl. C;Kota Jambi;Cici;bukan-email\n"
    )
    result = rules.read_register(io.StringIO(text))
    assert list(rules.register_frame(result).index) == ["10990101"]
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "8 angka" in messages[(3, "npsn")]
    assert (4, "jenjang") in messages and (4, "kontak_email") in messages


def test_weights_and_contributions_add_up_to_the_score():
    register = _register(("10000001", "SMP X", "SMP", "Kota Jambi"), ("10000002", "SD Y", "SD", "Muaro Jambi"))
    ranked = rules.risk_scores(
        register, incidents={"10000001": 2, "10000002": 9}, district_cases={"Kota Jambi": 8, "Muaro Jambi": 2},
        last_visit={"10000001": date(2025, 11, 18), "10000002": None}, today=TODAY, config=CONFIG,
    )
    smp = ranked.set_index("npsn").loc["10000001"]
    # 2 of 5 incidents x 40; the most cases x 30; SMP 1.0 x 10; about 12 of 24 months x 20.
    assert smp["kontribusi_insiden"] == 16.0
    assert smp["kontribusi_kasus_anak"] == 30.0
    assert smp["kontribusi_jenjang"] == 10.0
    assert smp["kontribusi_kunjungan"] == pytest.approx(10.0, abs=0.1)
    assert smp["skor"] == pytest.approx(sum(smp[f"kontribusi_{f}"] for f in rules.FACTORS))
    sd = ranked.set_index("npsn").loc["10000002"]
    # Incidents above the cap count as the cap; never visited counts as the full span.
    assert (sd["kontribusi_insiden"], sd["kontribusi_kasus_anak"], sd["kontribusi_jenjang"], sd["kontribusi_kunjungan"]) == (
        40.0, 7.5, 4.0, 20.0)
    assert list(ranked["npsn"]) == ["10000002", "10000001"] and list(ranked["peringkat"]) == [1, 2]
    assert "insiden teramati 40,0" in rules.contributions_text(sd)


def test_changed_weights_change_the_order():
    register = _register(("10000001", "SMP X", "SMP", "Kota Jambi"), ("10000002", "SD Y", "SD", "Muaro Jambi"))
    inputs = dict(incidents={"10000002": 1}, district_cases={"Kota Jambi": 10}, last_visit={}, today=TODAY)
    assert rules.risk_scores(register, config=CONFIG, **inputs)["npsn"].iloc[0] == "10000001"
    only_incidents = rules.RiskConfig.from_config({"bobot": {"insiden": 1, "kasus_anak": 0, "jenjang": 0, "kunjungan": 0}})
    ranked = rules.risk_scores(register, config=only_incidents, **inputs)
    assert ranked["npsn"].iloc[0] == "10000002" and ranked["skor"].iloc[0] == 0.2


def test_ties_go_to_the_longest_unvisited_then_incidents_then_npsn():
    register = _register(*[(f"1000000{i}", f"SMP {i}", "SMP", "Kota Jambi") for i in range(1, 5)])
    weights = rules.RiskConfig.from_config({"bobot": {"insiden": 0, "kasus_anak": 0, "jenjang": 1, "kunjungan": 0}})
    ranked = rules.risk_scores(
        register, incidents={"10000003": 1, "10000004": 1}, district_cases={},
        last_visit={"10000001": date(2026, 1, 5), "10000002": date(2025, 1, 5), "10000003": None, "10000004": None},
        today=TODAY, config=weights,
    )
    assert set(ranked["skor"]) == {1.0}
    assert list(ranked["npsn"]) == ["10000003", "10000004", "10000002", "10000001"]


@pytest.mark.parametrize(("last", "months"), [
    (date(2026, 11, 18), 0.0), (date(2026, 5, 18), 6.0), (date(2024, 11, 18), 24.0), (date(2027, 1, 1), 0.0), (None, None),
])
def test_time_since_the_last_visit(last, months):
    value = rules.months_between(last, TODAY)
    assert value == (None if months is None else pytest.approx(months, abs=0.05))


def test_a_visit_of_the_system_stands_over_an_older_date_of_the_register():
    register = _register(("10000001", "SMP X", "SMP", "Kota Jambi"))
    register.loc["10000001", "kunjungan_terakhir"] = date(2024, 1, 10)
    visits = [{"npsn": "10000001", "tanggal": date(2026, 8, 3)}, {"npsn": "10000001", "tanggal": date(2025, 2, 1)}]
    assert rules.last_visits(register, visits) == {"10000001": date(2026, 8, 3)}


def test_districts_of_agencies_prefer_the_longest_keyword():
    mapping = {"jambi": "Kota Jambi", "muaro jambi": "Muaro Jambi"}
    assert rules.district_of("Polres  Muaro Jambi", mapping) == "Muaro Jambi"
    assert rules.district_of("Polresta Jambi", mapping) == "Kota Jambi"
    assert rules.district_of("Polres Kerinci", mapping) is None


def test_bad_weights_are_refused_in_indonesian():
    with pytest.raises(ValueError, match="semuanya nol"):
        rules.RiskConfig.from_config({"bobot": {"insiden": 0, "kasus_anak": 0, "jenjang": 0, "kunjungan": 0}})
    with pytest.raises(ValueError, match="tidak boleh negatif"):
        rules.RiskConfig.from_config({"bobot": {"insiden": -1}})


def test_terms_and_their_labels():
    assert rules.term_for(date(2026, 11, 18)) == "2026-S2" and rules.term_for(date(2026, 6, 30)) == "2026-S1"
    assert rules.term_for(date(2026, 11, 18), 3) == "2026-Q4" and rules.term_for(date(2026, 11, 18), 1) == "2026-11"
    assert rules.term_label("2026-S2") == "Semester II 2026 (Juli–Desember)"
    assert rules.term_label("2026-Q1") == "Triwulan 1 2026 (Januari–Maret)"
    with pytest.raises(ValueError, match="tidak dikenali"):
        rules.term_label("2026-X9")


def test_the_kasubsis_pick_goes_first_then_the_ranking():
    order = rules.contact_order(["a", "b", "c"], "c")
    assert order == ["c", "a", "b"]
    assert rules.next_school(order, ["c"]) == "a" and rules.next_school(order, order) is None


def _answers(right: int) -> dict[str, str]:
    wrong = {q.name: next(v for v, _ in q.choices if v != q.correct) for q in rules.QUIZ}
    return {q.name: (q.correct if i < right else wrong[q.name]) for i, q in enumerate(rules.QUIZ)}


def test_quiz_scores_and_the_improvement():
    assert rules.quiz_score(_answers(5)) == 100.0 and rules.quiz_score({}) == 0.0
    rows = [{"stage": "sebelum", "answers": _answers(2)}, {"stage": "sebelum", "answers": _answers(3)},
            {"stage": "sesudah", "answers": _answers(4)}, {"stage": "sesudah", "answers": _answers(5)},
            {"stage": "lain", "answers": _answers(5)}]
    summary = rules.summarise_quiz(rows)
    assert (summary.before_count, summary.after_count) == (2, 2)
    assert (summary.before_mean, summary.after_mean, summary.improvement) == (50.0, 90.0, 40.0)
    assert summary.relative == 80.0
    first, *_, last = summary.per_question
    assert first == ("s1", 100.0, 100.0) and last == ("s5", 0.0, 50.0)
    assert rules.quiz_chart(summary, "Uji").startswith(b"\x89PNG")


def test_the_improvement_is_computed_before_rounding():
    rows = [*({"stage": "sebelum", "answers": _answers(n)} for n in (2, 3, 2)),
            *({"stage": "sesudah", "answers": _answers(n)} for n in (4, 5, 5))]
    summary = rules.summarise_quiz(rows)
    assert (summary.before_mean, summary.after_mean, summary.improvement, summary.relative) == (46.7, 93.3, 46.7, 100.0)


def test_no_improvement_without_both_stages():
    summary = rules.summarise_quiz([{"stage": "sesudah", "answers": _answers(3)}])
    assert summary.before_mean is None and summary.improvement is None and summary.relative is None
