"""Gaji UMR rules: the client register, the fair rotation over a year, the suggested day."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, timezone

import pandas as pd
import pytest

from bapas_sop.calendar import WIB
from bapas_sop.sops.gaji_umr import rules as gaji_umr

from tests.support.people import BAMBANG

PK = BAMBANG.nip  # a BKD PK of the demo staff (tests/support/people.py)
HEADER = "id_klien,nama,kategori,seksi,pk_nip,aktif,bimbingan_diterima,terakhir_dipilih,jumlah_dipilih,telepon\n"


def register(rows: list[str]) -> pd.DataFrame:
    result = gaji_umr.read_register(io.StringIO(HEADER + "\n".join(rows) + "\n"))
    result.raise_if_errors()
    return gaji_umr.register_frame(result)


def clients(n: int) -> pd.DataFrame:
    """``n`` eligible clients who never took part."""
    return register([f"K{i:03d},Klien {i},dewasa,bkd,{PK},ya,ya,,0," for i in range(1, n + 1)])


def empty_history() -> pd.DataFrame:
    return gaji_umr.history_frame([])


# --------------------------------------------------------------------------- register


def test_the_shipped_register_is_valid_and_fictional() -> None:
    from bapas_sop.directory import get_directory

    result = gaji_umr.read_register(known_pk=[p.nip for p in get_directory()])
    assert result.ok, result.errors
    frame = gaji_umr.register_frame(result)
    assert len(frame) >= 20 and set(frame["seksi"]) == {"bka", "bkd"}
    assert len(gaji_umr.eligible(frame, "bkd")) >= 10


def test_bad_rows_are_reported_with_their_row_and_left_out() -> None:
    text = HEADER + "\n".join([
        f"K001,Klien Satu,dewasa,bkd,{PK},ya,ya,2026-05,1,",
        f"K001,Klien Dua,dewasa,bkd,{PK},ya,ya,,0,",  # duplicate id
        f"K003,Klien Tiga,dewasa,bkd,{PK},ya,ya,Mei 2026,0,",  # month not understood
        "K004,Klien Empat,dewasa,bkd,199912312020121001,ya,ya,,0,",  # unknown PK
        f"K005,Klien Lima,remaja,bkd,{PK},ya,ya,,0,",  # unknown category
    ]) + "\n"
    result = gaji_umr.read_register(io.StringIO(text), known_pk=[PK])
    messages = [str(e) for e in result.errors]
    assert list(result.rows["id_klien"]) == ["K001"]
    assert any(m.startswith("Baris 3, kolom id_klien") for m in messages)
    assert any(m.startswith("Baris 4, kolom terakhir_dipilih") and "2026-05" in m for m in messages)
    assert any(m.startswith("Baris 5, kolom pk_nip") and "tidak ada di daftar pegawai" in m for m in messages)
    assert any(m.startswith("Baris 6, kolom kategori") for m in messages)


# --------------------------------------------------------------------------- rotation


def test_only_active_clients_who_received_guidance_are_eligible() -> None:
    frame = register([
        f"K001,A,dewasa,bkd,{PK},ya,ya,,0,",
        f"K002,B,dewasa,bkd,{PK},tidak,ya,,0,",
        f"K003,C,dewasa,bkd,{PK},ya,tidak,,0,",
        f"K004,D,anak,bka,{PK},ya,ya,,0,",
    ])
    assert list(gaji_umr.rank_clients(frame, empty_history(), "2026-11", section="bkd")["id_klien"]) == ["K001"]
    assert set(gaji_umr.rank_clients(frame, empty_history(), "2026-11")["id_klien"]) == {"K001", "K004"}


def test_never_chosen_first_then_the_longest_ago() -> None:
    frame = register([
        f"K001,A,dewasa,bkd,{PK},ya,ya,2026-09,1,",
        f"K002,B,dewasa,bkd,{PK},ya,ya,2026-03,1,",
        f"K003,C,dewasa,bkd,{PK},ya,ya,,0,",
        f"K004,D,dewasa,bkd,{PK},ya,ya,2026-06,1,",
        f"K005,E,dewasa,bkd,{PK},ya,ya,2025-12,3,",
    ])
    ranked = gaji_umr.rank_clients(frame, empty_history(), "2026-11")
    assert list(ranked["id_klien"]) == ["K003", "K002", "K004", "K001", "K005"]
    assert list(ranked["recent"]) == [False, False, False, True, False]


def simulate(frame: pd.DataFrame, months: list[str], per_month: int, *, declines: dict[str, set[str]] | None = None):
    """Run the rotation month after month, everyone proposed attending unless they decline."""
    history: list[dict[str, str]] = []
    picked: dict[str, list[str]] = {}
    for month in months:
        ranked = gaji_umr.rank_clients(frame, gaji_umr.history_frame(history), month)
        chosen = gaji_umr.propose(ranked, per_month)
        declined = (declines or {}).get(month, set())
        taken = [c for c in chosen if c not in declined]
        excluded = list(chosen)
        while len(taken) < per_month:  # a decline pulls the next eligible client
            replacement = gaji_umr.next_candidate(ranked, excluded)
            if replacement is None:
                break
            excluded.append(replacement)
            if replacement not in declined:
                taken.append(replacement)
        for client in declined & set(excluded):
            history.append({"client_id": client, "month": month, "status": gaji_umr.DECLINED})
        for client in taken:
            history.append({"client_id": client, "month": month, "status": gaji_umr.ATTENDED})
        picked[month] = taken
    return picked, history


MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]


def test_over_twelve_months_nobody_goes_twice_before_everyone_went_once() -> None:
    frame = clients(23)
    picked, _history = simulate(frame, MONTHS, 5)
    counts: Counter[str] = Counter()
    for month in MONTHS:
        assert len(picked[month]) == 5 and len(set(picked[month])) == 5, month
        counts.update(picked[month])
        # After every month the counts differ by at most one across all 23 clients.
        every = [counts.get(c, 0) for c in frame.index]
        assert max(every) - min(every) <= 1, (month, counts)
    assert sum(counts.values()) == 60 and set(counts.values()) == {2, 3}
    # With 23 clients and 5 a month nobody is chosen in two consecutive months.
    for before, after in zip(MONTHS, MONTHS[1:], strict=False):
        assert not set(picked[before]) & set(picked[after]), (before, after)


def test_a_client_who_declines_keeps_their_turn() -> None:
    frame = clients(12)
    first = gaji_umr.propose(gaji_umr.rank_clients(frame, empty_history(), "2026-01"), 5)
    declined = first[0]
    picked, history = simulate(frame, ["2026-01", "2026-02"], 5, declines={"2026-01": {declined}})
    assert declined not in picked["2026-01"] and len(picked["2026-01"]) == 5
    assert declined in picked["2026-02"]  # proposed first again the next month
    statuses = Counter((h["client_id"], h["status"]) for h in history)
    assert statuses[(declined, gaji_umr.DECLINED)] == 1


def test_a_new_client_is_invited_soon_and_an_inactive_one_never() -> None:
    frame = clients(10)
    picked, history = simulate(frame, MONTHS[:4], 5)
    newcomer = register([f"K099,Baru,dewasa,bkd,{PK},ya,ya,,0,"])
    inactive = register([f"K098,Pindah,dewasa,bkd,{PK},tidak,ya,,0,"])
    bigger = pd.concat([frame, newcomer, inactive])
    ranked = gaji_umr.rank_clients(bigger, gaji_umr.history_frame(history), "2026-05")
    assert ranked["id_klien"].iloc[0] == "K099"
    assert "K098" not in set(ranked["id_klien"])


def test_the_registers_own_history_counts_and_one_month_counts_once() -> None:
    frame = register([
        f"K001,A,dewasa,bkd,{PK},ya,ya,2026-02,2,",
        f"K002,B,dewasa,bkd,{PK},ya,ya,2026-03,0,",  # a month but no count: counts as one
        f"K003,C,dewasa,bkd,{PK},ya,ya,,0,",
    ])
    history = gaji_umr.history_frame([
        {"client_id": "K003", "month": "2026-04", "status": gaji_umr.CONFIRMED},
        {"client_id": "K003", "month": "2026-04", "status": gaji_umr.ATTENDED},  # same month
        {"client_id": "K002", "month": "2026-05", "status": gaji_umr.UNREACHABLE},  # not chosen
    ])
    stats = gaji_umr.participation_stats(frame, history)
    assert dict(stats["times"]) == {"K001": 2, "K002": 1, "K003": 1}
    assert dict(stats["last"]) == {"K001": "2026-02", "K002": "2026-03", "K003": "2026-04"}


# --------------------------------------------------------------------------- activity and dates


def test_months_are_parsed_and_named_in_indonesian() -> None:
    assert gaji_umr.month_label("2026-11") == "November 2026"
    assert gaji_umr.add_months("2026-11", 2) == "2027-01"
    with pytest.raises(ValueError, match="tidak dikenali"):
        gaji_umr.parse_month("11-2026")
    # 31 October 17.30 UTC is already 1 November in Jambi.
    assert gaji_umr.month_for_run(None, datetime(2026, 10, 31, 17, 30, tzinfo=timezone.utc), None) == "2026-11"
    assert gaji_umr.month_for_run("2026-2", None, None) == "2026-02"


def test_the_suggestion_is_the_second_friday_and_never_in_the_past() -> None:
    suggestion = gaji_umr.suggest_activity("2026-11")
    assert suggestion.day == date(2026, 11, 13) and suggestion.day.weekday() == 4
    assert suggestion.activity and suggestion.place
    late = gaji_umr.suggest_activity("2026-11", today=date(2026, 11, 20))
    assert late.day > date(2026, 11, 20)
    assert gaji_umr.suggest_activity("2026-12").activity != suggestion.activity  # activities take turns


def test_contact_is_due_before_the_activity_and_attendance_the_day_after() -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=WIB)  # Monday
    assert gaji_umr.contact_due(now, date(2026, 11, 13)) == datetime(2026, 11, 4, 9, 0, tzinfo=WIB)
    # An activity on Wednesday: the PK must have called by Tuesday 16.00.
    assert gaji_umr.contact_due(now, date(2026, 11, 4)) == datetime(2026, 11, 3, 16, 0, tzinfo=WIB)
    # Too late for that: at least four hours.
    assert gaji_umr.contact_due(now, date(2026, 11, 2)) == datetime(2026, 11, 2, 13, 0, tzinfo=WIB)
    assert gaji_umr.attendance_due(date(2026, 11, 13)) == datetime(2026, 11, 16, 16, 0, tzinfo=WIB)
