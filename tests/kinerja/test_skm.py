"""The SKM index of PermenPANRB 14/2017 on answers whose index is computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from bapas_sop.kinerja.skm import ELEMENT_KEYS, grade, skm_index


def answers(*rows):
    return [dict(zip(ELEMENT_KEYS, row, strict=True)) for row in rows]


def test_unanimous_best_is_100_and_a():
    result = skm_index(answers((4,) * 9, (4,) * 9))
    assert result.index == pytest.approx(100.0)
    assert (result.grade, result.grade_words) == ("A", "Sangat Baik")
    assert result.follow_up == []


def test_known_index_and_flagged_elements():
    # Element means: u1..u7 = 3.5, u8 = 2.5, u9 = 3.0  ->  IKM = (7*3.5 + 2.5 + 3.0) / 9 * 25 = 83.333...
    rows = answers((4, 4, 4, 4, 4, 4, 4, 3, 3), (3, 3, 3, 3, 3, 3, 3, 2, 3))
    result = skm_index(rows)
    assert result.respondents == 2
    assert result.index == pytest.approx((7 * 3.5 + 2.5 + 3.0) / 9 * 25)
    assert result.grade == "B"
    by_key = {e.key: e for e in result.elements}
    assert by_key["u8"].mean == 2.5 and by_key["u8"].grade == "D"   # 62.5 on the 25-100 scale
    assert by_key["u9"].grade == "C"                                 # 75.0
    assert [e.key for e in result.follow_up] == ["u8", "u9"]


@pytest.mark.parametrize("value, letter", [
    (100, "A"), (88.31, "A"), (88.30, "B"), (76.61, "B"), (76.60, "C"), (65.00, "C"), (64.99, "D"), (25, "D"),
])
def test_grade_boundaries_of_the_regulation(value, letter):
    assert grade(value)[0] == letter


def test_blank_element_counts_only_those_who_answered_it():
    rows = answers((4,) * 9, (2,) * 9)
    rows[1]["u3"] = None
    result = skm_index(pd.DataFrame(rows))
    u3 = next(e for e in result.elements if e.key == "u3")
    assert (u3.respondents, u3.mean) == (1, 4.0)


def test_no_answers_has_no_index_and_bad_values_are_refused():
    assert skm_index(pd.DataFrame(columns=list(ELEMENT_KEYS))).index is None
    with pytest.raises(ValueError):
        skm_index(answers((5,) * 9))
