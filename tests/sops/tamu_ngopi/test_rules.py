"""Tamu Ngopi rules, on pinned dates: the forum's day, deadlines, stakeholders, the agenda with
its carried-over items, the minutes' suggestions, and where an action item stands."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bapas_sop.calendar import WIB
from bapas_sop.sops.tamu_ngopi import rules


def item(id_: int, *, due: date, month: str = "2026-10", status: str = rules.OPEN, title: str | None = None) -> rules.Item:
    return rules.Item(id=id_, title=title or f"Tindakan {id_}", owner="198409092009121001", due=due,
                      status=status, month=month)


# --------------------------------------------------------------------------- months and dates


def test_months_and_their_labels() -> None:
    assert rules.month_label("2026-11") == "November 2026"
    assert rules.add_months("2026-12", 1) == "2027-01" and rules.add_months("2026-01", -1) == "2025-12"
    assert rules.month_for_run("2026-03", None) == "2026-03"
    # 31 Oct 20:00 UTC is already 1 November in Jambi.
    assert rules.month_for_run(None, datetime(2026, 10, 31, 20, 0, tzinfo=timezone.utc)) == "2026-11"
    with pytest.raises(ValueError, match="TTTT-BB"):
        rules.month_for_run("2026-13", None)


def test_the_forum_falls_on_the_third_thursday_or_the_next_working_day() -> None:
    assert rules.nth_weekday("2026-11", "kamis", 3) == date(2026, 11, 19)
    assert rules.nth_weekday("2026-10", "Senin", 1) == date(2026, 10, 5)
    # A holiday on the third Thursday moves the forum to the Friday.
    holiday = {date(2026, 11, 19)}
    assert rules.forum_day("2026-11", "kamis", 3, lambda d: d.weekday() < 5 and d not in holiday) == date(2026, 11, 20)


def test_deadlines_leave_time_before_the_forum_and_move_when_planned_late() -> None:
    start = datetime(2026, 11, 19, 13, 0, tzinfo=WIB)
    early = rules.deadlines(start, datetime(2026, 11, 2, 8, 0, tzinfo=WIB), topic_days=7, rsvp_days=2)
    assert early.topics == datetime(2026, 11, 12, 13, 0, tzinfo=WIB)
    assert early.approval == datetime(2026, 11, 13, 13, 0, tzinfo=WIB)
    assert early.rsvp == datetime(2026, 11, 17, 13, 0, tzinfo=WIB)
    assert early.forum_morning == datetime(2026, 11, 19, 7, 0, tzinfo=WIB)
    # Planned on the morning of the forum itself: every deadline after now, none after the forum.
    now = datetime(2026, 11, 19, 9, 0, tzinfo=WIB)
    late = rules.deadlines(start, now, topic_days=7, rsvp_days=2)
    assert now < late.topics < late.approval < late.rsvp <= start
    assert late.forum_morning == now


def test_a_wait_for_today_ends_at_once() -> None:
    now = datetime(2026, 11, 18, 9, 0, tzinfo=WIB)
    assert rules.opens_at(datetime(2026, 11, 18, 13, 0, tzinfo=WIB), now) == now
    later = datetime(2026, 11, 19, 13, 0, tzinfo=WIB)
    assert rules.opens_at(later, now) == later


# --------------------------------------------------------------------------- stakeholders


def test_stakeholders_are_read_and_every_bad_entry_is_named() -> None:
    people, errors = rules.read_stakeholders([
        {"nama": "Bu Ratna", "kategori": "keluarga_klien", "email": "ratna@keluarga.example"},
        {"nama": "Pak Camat", "kategori": "tokoh_masyarakat", "email": "camat@kotabaru.example", "lembaga": "Kecamatan"},
        {"nama": "", "kategori": "mitra", "email": "x@y.example"},
        {"nama": "LSM", "kategori": "lsm", "email": "lsm@y.example"},
        {"nama": "Tanpa email", "kategori": "mitra", "email": "bukan-email"},
        {"nama": "Ganda", "kategori": "mitra", "email": "RATNA@keluarga.example"},
    ])
    assert [p.name for p in people] == ["Bu Ratna", "Pak Camat"]
    assert people[1].label == "Pak Camat (Tokoh masyarakat, Kecamatan)"
    assert len(errors) == 4
    assert errors[0] == "Pemangku kepentingan ke-3: nama wajib diisi."
    assert "kategori harus salah satu dari" in errors[1]
    assert errors[2].startswith("Pemangku kepentingan ke-5 (Tanpa email)")
    assert "sudah dipakai" in errors[3]


# --------------------------------------------------------------------------- action items


def test_overdue_classification_on_pinned_dates() -> None:
    due = date(2026, 11, 20)
    assert rules.classify(item(1, due=due), date(2026, 11, 20)) == rules.OPEN  # the due day itself
    assert rules.classify(item(1, due=due), date(2026, 11, 21)) == rules.OVERDUE
    assert rules.classify(item(1, due=due, status=rules.DONE), date(2027, 1, 1)) == rules.DONE
    assert rules.days_overdue(item(1, due=due), date(2026, 11, 25)) == 5
    assert rules.days_overdue(item(1, due=due), date(2026, 11, 1)) == 0


def test_open_items_of_earlier_months_carry_over_oldest_due_first() -> None:
    items = [
        item(1, due=date(2026, 10, 30), status=rules.DONE),
        item(2, due=date(2026, 11, 30)),
        item(3, due=date(2026, 10, 15), month="2026-09"),
        item(4, due=date(2026, 12, 10), month="2026-11"),  # this month's own: not carried
        item(5, due=date(2026, 12, 1), month="2026-12"),  # a later month's
    ]
    assert [i.id for i in rules.carry_over(items, "2026-11")] == [3, 2]
    # Still open a month later: carried again, with November's open item too.
    assert [i.id for i in rules.carry_over(items, "2026-12")] == [3, 2, 4]
    assert rules.carry_over([], "2026-11") == []


def test_the_agenda_takes_carried_items_first_then_topics_once_each() -> None:
    carried = [item(7, due=date(2026, 10, 30), title="Perbaikan papan informasi layanan")]
    topics = [
        {"id": 1, "title": "Jam layanan wajib lapor di hari Sabtu", "by": "Rina Marlina"},
        {"id": 2, "title": "jam layanan wajib lapor di hari sabtu!", "by": "Bu Ratna"},  # the same topic
        {"id": 3, "title": "Perbaikan papan informasi layanan", "by": "Pak Camat"},  # already carried
        {"id": 4, "title": "Pelatihan kerja bagi klien", "by": "Dedi Kurniawan"},
        {"id": 5, "title": "Ruang tunggu ramah anak", "by": "Siti Rahmawati"},
        {"id": 6, "title": "   ", "by": "Siti Rahmawati"},
    ]
    agenda = rules.build_agenda(carried, topics, max_topics=2, owners={"198409092009121001": "Bambang Setiawan"})
    assert [(a.key, a.source) for a in agenda] == [
        ("tindak_lanjut:7", "lanjutan"), ("topik:1", "usulan"), ("topik:4", "usulan")]
    assert agenda[0].by == "Bambang Setiawan"
    assert agenda[1].as_dict() == {"key": "topik:1", "title": "Jam layanan wajib lapor di hari Sabtu",
                                   "source": "usulan", "by": "Rina Marlina"}


def test_suggestions_are_read_one_per_line() -> None:
    text = "1. Buka layanan Sabtu pagi\n- Pasang papan informasi\n\n* pasang papan informasi\n\u2022 Pelatihan las\n2) Lainnya"
    assert rules.parse_suggestions(text, 10) == ["Buka layanan Sabtu pagi", "Pasang papan informasi", "Pelatihan las", "Lainnya"]
    assert rules.parse_suggestions(text, 2) == ["Buka layanan Sabtu pagi", "Pasang papan informasi"]
    assert rules.parse_suggestions(None, 5) == []


def test_a_report_is_asked_on_the_due_date_then_again_every_interval() -> None:
    opened = datetime(2026, 11, 18, 10, 0, tzinfo=WIB)
    assert rules.round_due(date(2026, 11, 30), opened, 7) == datetime(2026, 11, 30, 16, 0, tzinfo=WIB)
    # Past the due date (or on it, within the hour): a week after the round opens.
    assert rules.round_due(date(2026, 11, 10), opened, 7) == datetime(2026, 11, 25, 16, 0, tzinfo=WIB)
    assert rules.round_due(date(2026, 11, 18), datetime(2026, 11, 18, 15, 30, tzinfo=WIB), 3) == datetime(
        2026, 11, 21, 16, 0, tzinfo=WIB)
