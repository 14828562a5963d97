"""Pekan Disiplin rules: the machine export, the working days, lateness/early leave/absence,
the year's accumulation against PP 94/2021. Every date is pinned here."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest

from bapas_sop.settings import get_settings
from bapas_sop.sops.pekan_disiplin import rules as pd_rules

from tests.support.people import BAMBANG, DEDI, RINA

HEADER = "No.;NIP;Nama;Departemen;Tanggal;Jam Kerja;Scan Masuk;Scan Pulang;Absen\n"
W46 = (date(2026, 11, 9), date(2026, 11, 15))


@pytest.fixture(scope="module")
def config() -> pd_rules.DisciplineRules:
    return pd_rules.DisciplineRules.from_config(get_settings().config["pekan_disiplin"])


def export(*rows: str, known=(RINA.nip, DEDI.nip, BAMBANG.nip), week=W46):
    return pd_rules.read_export(io.StringIO(HEADER + "\n".join(rows) + "\n"), first=week[0], last=week[1],
                                known_nips=known)


def no_absences() -> pd.DataFrame:
    return pd.DataFrame(columns=["nip", "jenis", "mulai", "selesai"])


def day_of(frame: pd.DataFrame, nip: str, day: date) -> pd.Series:
    [row] = frame[(frame["nip"] == nip) & (frame["tanggal"] == pd.Timestamp(day))].to_dict("records")
    return pd.Series(row)


# --------------------------------------------------------------------------- configuration


def test_office_hours_and_thresholds_come_from_the_configuration(config) -> None:
    assert config.hours[0] == (450, 960) and config.hours[4] == (450, 990)  # Mon 07:30-16:00, Fri 07:30-16:30
    assert 5 not in config.hours and 6 not in config.hours
    assert config.minutes_per_day == 450
    assert [(t.days_from, t.days_to) for t in config.thresholds] == [
        (3, 3), (4, 6), (7, 10), (11, 13), (14, 16), (17, 20), (21, 24), (25, 27), (28, None)]
    assert config.consecutive_days == 10
    assert "Pasal 11" in config.consecutive.article and config.threshold("teguran_lisan").span == "3 hari kerja"


# --------------------------------------------------------------------------- the export


def test_the_shipped_sample_reads_with_its_quirks(config) -> None:
    from bapas_sop.directory import get_directory

    nips = [p.nip for p in get_directory().active_employees()]
    result = pd_rules.read_export(get_settings().data_dir / "absensi" / "2026-W46.csv", first=W46[0], last=W46[1],
                                  known_nips=nips)
    # One former employee still enrolled in the machine: named, the rest is used.
    assert [str(e) for e in result.errors] == [
        f"Baris {result.errors[0].row}, kolom nip: NIP 198103102007011005 tidak ada di daftar pegawai aktif."]
    bambang = result.rows[result.rows["nip"] == BAMBANG.nip]  # written with spaces in the export
    assert len(bambang) == 6  # Tuesday exported twice
    assert pd_rules.combine_scans(bambang)["masuk"].tolist()[1] == 8 * 60 + 10  # the first check-in counts


def test_every_bad_row_is_named_in_indonesian() -> None:
    result = export(
        f"1;{RINA.nip};Rina;BKA;09/11/2026;07:30-16:00;07:25;16:05;",
        f"2;{RINA.nip};Rina;BKA;10/11/2026;07:30-16:00;25:10;16:05;",
        "3;19860721201012200;Rina;BKA;11/11/2026;07:30-16:00;07:10;16:05;",
        f"4;{DEDI.nip};Dedi;BKA;16/11/2026;07:30-16:00;07:10;16:05;",
        f"5;{DEDI.nip};Dedi;BKA;12/11/2026;07:30-16:00;pagi;16:05;",
        "6;199901012020011001;Tamu;-;12/11/2026;07:30-16:00;07:10;16:05;",
    )
    messages = [str(e) for e in result.errors]
    assert messages[0].startswith("Baris 3, kolom scan_masuk: jam '25:10' tidak ada")
    assert messages[1].startswith("Baris 4, kolom nip:")
    assert messages[2] == "Baris 5, kolom tanggal: tanggal 16/11/2026 di luar pekan yang dimuat (09/11/2026–15/11/2026)."
    assert messages[3].startswith("Baris 6, kolom scan_masuk: 'pagi' bukan jam")
    assert messages[4] == "Baris 7, kolom nip: NIP 199901012020011001 tidak ada di daftar pegawai aktif."
    assert result.rows.index.tolist() == [2]  # the good row stays usable


def test_scan_cells_as_machines_write_them() -> None:
    assert pd_rules.parse_scans("07:25") == (445, 445)
    assert pd_rules.parse_scans("7.05") == (425, 425)
    assert pd_rules.parse_scans("07:21:40 07:22:03") == (441, 442)
    assert pd_rules.parse_scans("  ") is None
    with pytest.raises(ValueError, match="bukan jam"):
        pd_rules.parse_scans("07:25 izin")


# --------------------------------------------------------------------------- working days


def test_a_holiday_and_a_cuti_bersama_day_inside_the_week_are_no_working_days(config) -> None:
    # 2026-W52: Thursday 24 December is cuti bersama (Natal), Friday 25 December is Christmas.
    days = pd_rules.working_days(date(2026, 12, 21), date(2026, 12, 27), config)
    assert days == [date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23)]
    # Nobody scanned on those days: no absence is counted for them.
    frame = pd_rules.attendance_days(pd.DataFrame(columns=["nip", "tanggal", "masuk", "pulang"]), [RINA.nip], days,
                                     no_absences(), config)
    assert frame["tanggal"].dt.date.tolist() == days and frame["tidak_masuk"].all()


def test_previous_week_and_week_keys() -> None:
    assert pd_rules.previous_week(date(2026, 11, 16)) == "2026-W46"  # the Monday run recaps last week
    assert pd_rules.previous_week(date(2026, 11, 18)) == "2026-W46"
    assert pd_rules.parse_week("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    with pytest.raises(ValueError, match="tidak dikenali"):
        pd_rules.parse_week("minggu lalu")


# --------------------------------------------------------------------------- the computation


def test_lateness_early_leave_absence_and_incomplete_scans(config) -> None:
    result = export(
        f"1;{RINA.nip};Rina;BKA;09/11/2026;;07:52;16:05;",       # Monday: 22 minutes late
        f"2;{RINA.nip};Rina;BKA;13/11/2026;;07:30;16:10;",       # Friday ends 16:30: 20 minutes early
        f"3;{DEDI.nip};Dedi;BKA;10/11/2026;;07:20;;",            # no check-out: 90 minutes counted
        f"4;{DEDI.nip};Dedi;BKA;11/11/2026;;;;True",             # an empty row: absent
        f"5;{BAMBANG.nip};Bambang;BKD;10/11/2026;;07:31;16:00;",  # one minute late
        f"6;{BAMBANG.nip};Bambang;BKD;10/11/2026;;07:29;16:04;",  # the same day again: first in, last out
    )
    days = pd_rules.working_days(*W46, config)
    frame = pd_rules.attendance_days(result.rows, [RINA.nip, DEDI.nip, BAMBANG.nip], days, no_absences(), config)
    assert len(frame) == 15
    monday = day_of(frame, RINA.nip, date(2026, 11, 9))
    assert (monday.terlambat_menit, monday.pulang_cepat_menit, monday.insiden) == (22, 0, True)
    assert day_of(frame, RINA.nip, date(2026, 11, 13)).pulang_cepat_menit == 20
    assert day_of(frame, RINA.nip, date(2026, 11, 10)).tidak_masuk  # no row at all
    incomplete = day_of(frame, DEDI.nip, date(2026, 11, 10))
    assert incomplete.scan_tidak_lengkap and incomplete.pulang_cepat_menit == 90 and not incomplete.tidak_masuk
    assert day_of(frame, DEDI.nip, date(2026, 11, 11)).tidak_masuk
    bambang = day_of(frame, BAMBANG.nip, date(2026, 11, 10))
    assert (bambang.masuk, bambang.pulang, bambang.insiden) == (449, 964, False)
    assert pd_rules.describe(monday) == "terlambat 22 menit (masuk 07.52)"
    assert pd_rules.describe(incomplete) == "tidak ada scan pulang"


def test_grace_minutes_forgive_small_lateness(config) -> None:
    from dataclasses import replace

    result = export(f"1;{RINA.nip};Rina;BKA;09/11/2026;;07:34;16:05;")
    days = [date(2026, 11, 9)]
    strict = pd_rules.attendance_days(result.rows, [RINA.nip], days, no_absences(), config)
    lenient = pd_rules.attendance_days(result.rows, [RINA.nip], days, no_absences(), replace(config, grace_minutes=5))
    assert strict["terlambat_menit"].tolist() == [4] and lenient["terlambat_menit"].tolist() == [0]


def test_leave_and_official_travel_are_not_absences(config) -> None:
    absences = pd.DataFrame([
        {"nip": RINA.nip, "jenis": "cuti", "mulai": date(2026, 11, 2), "selesai": date(2026, 11, 10)},
        {"nip": DEDI.nip, "jenis": "dinas_luar", "mulai": date(2026, 11, 12), "selesai": date(2026, 11, 20)},
    ])
    result = export(f"1;{DEDI.nip};Dedi;BKA;12/11/2026;;09:30;;")  # scanned late on the way out of town
    days = pd_rules.working_days(*W46, config)
    frame = pd_rules.attendance_days(result.rows, [RINA.nip, DEDI.nip], days, absences, config)
    rina = frame[frame["nip"] == RINA.nip].set_index(frame[frame["nip"] == RINA.nip]["tanggal"].dt.day)
    assert rina.loc[[9, 10], "jenis_ketidakhadiran"].tolist() == ["cuti", "cuti"]
    assert not rina.loc[[9, 10], "insiden"].any() and rina.loc[[11, 12, 13], "tidak_masuk"].all()
    dedi = frame[frame["nip"] == DEDI.nip]
    assert dedi[dedi["tanggal"].dt.day >= 12]["jenis_ketidakhadiran"].eq("dinas_luar").all()
    assert not dedi[dedi["tanggal"].dt.day >= 12]["insiden"].any()


# --------------------------------------------------------------------------- PP 94/2021


def incidents(rows: list[tuple[str, date, bool, int, int, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["nip", "tanggal", "tidak_masuk", "terlambat_menit", "pulang_cepat_menit",
                                       "dimaafkan"]).assign(tanggal=lambda f: pd.to_datetime(f["tanggal"]))


def year_days(config, year: int = 2026) -> list[date]:
    return pd_rules.working_days(date(year, 1, 1), date(year, 12, 31), config)


def test_excused_days_do_not_count_and_minutes_convert_to_days(config) -> None:
    frame = incidents([
        (RINA.nip, date(2026, 3, 2), True, 0, 0, False),
        (RINA.nip, date(2026, 3, 3), True, 0, 0, True),   # excused (sakit)
        (RINA.nip, date(2026, 3, 4), False, 300, 0, False),
        (RINA.nip, date(2026, 3, 5), False, 100, 60, False),  # 460 minutes in all: one day
        (DEDI.nip, date(2026, 3, 5), False, 449, 0, False),  # one minute short of a day
    ])
    totals = pd_rules.accumulate(frame, year_days(config), config)
    assert totals.loc[RINA.nip].to_dict() == {"hari_tidak_masuk": 1, "menit": 460, "hari_dari_menit": 1,
                                              "hari_total": 2, "berturut_turut": 1}
    assert totals.loc[DEDI.nip, "hari_total"] == 0


def test_a_threshold_is_crossed_once(config) -> None:
    days = year_days(config)
    three = incidents([(RINA.nip, d, True, 0, 0, False) for d in days[10:13]])
    totals = pd_rules.accumulate(three, days, config)
    reached = pd_rules.levels(totals, config)
    assert reached.loc[RINA.nip, "ambang"] == "teguran_lisan" and reached.loc[RINA.nip, "berturut"] is None
    assert pd_rules.new_crossings(reached, []) == [(RINA.nip, "teguran_lisan")]
    assert pd_rules.new_crossings(reached, [(RINA.nip, "teguran_lisan")]) == []  # recorded: not sent again
    # Three more, spread out: 6 days is still the written warning; 2 to 8 at once gives the highest only.
    spread = incidents([(RINA.nip, d, True, 0, 0, False) for d in days[10:13] + days[40:45:2]])
    assert pd_rules.levels(pd_rules.accumulate(spread, days, config), config).loc[RINA.nip, "ambang"] == "teguran_tertulis"
    jump = incidents([(DEDI.nip, d, True, 0, 0, False) for d in days[50:58:1]])
    fresh = pd_rules.new_crossings(pd_rules.levels(pd_rules.accumulate(jump, days, config), config), [])
    assert fresh == [(DEDI.nip, "pernyataan_tidak_puas")]
    dismissal = incidents([(DEDI.nip, d, True, 0, 0, False) for d in days[0:56:2]])  # 28 days, never in a row
    assert pd_rules.levels(pd_rules.accumulate(dismissal, days, config), config).loc[DEDI.nip].tolist() == [
        "pemberhentian", None]


def test_ten_consecutive_working_days_across_a_weekend_and_a_holiday(config) -> None:
    days = year_days(config)
    # From Monday 7 December 2026: ten working days run to Friday 18 December.
    start = days.index(date(2026, 12, 7))
    ten = incidents([(RINA.nip, d, True, 0, 0, False) for d in days[start:start + 10]])
    totals = pd_rules.accumulate(ten, days, config)
    assert totals.loc[RINA.nip, "berturut_turut"] == 10
    assert pd_rules.levels(totals, config).loc[RINA.nip].tolist() == ["pernyataan_tidak_puas", "pemberhentian_berturut"]
    # 21-23 December, then the cuti bersama and Christmas, then 28-31 December: seven in a row.
    late_december = [d for d in days if d >= date(2026, 12, 21)]
    assert date(2026, 12, 24) not in late_december and len(late_december) == 7
    run = pd_rules.accumulate(incidents([(DEDI.nip, d, True, 0, 0, False) for d in late_december]), days, config)
    assert run.loc[DEDI.nip, "berturut_turut"] == 7
    # An excused day in the middle breaks the run.
    broken = incidents([(RINA.nip, d, True, 0, 0, i == 5) for i, d in enumerate(days[start:start + 10])])
    assert pd_rules.accumulate(broken, days, config).loc[RINA.nip, "berturut_turut"] == 5


def test_most_disciplined_ranks_fewest_incidents_then_minutes() -> None:
    days = pd.DataFrame([
        {"nip": "a", "tidak_masuk": False, "terlambat_menit": 0, "pulang_cepat_menit": 0, "insiden": False, "dimaafkan": False, "hadir": True},
        {"nip": "a", "tidak_masuk": False, "terlambat_menit": 0, "pulang_cepat_menit": 0, "insiden": False, "dimaafkan": False, "hadir": True},
        {"nip": "b", "tidak_masuk": False, "terlambat_menit": 5, "pulang_cepat_menit": 0, "insiden": True, "dimaafkan": True, "hadir": True},
        {"nip": "b", "tidak_masuk": False, "terlambat_menit": 0, "pulang_cepat_menit": 0, "insiden": False, "dimaafkan": False, "hadir": True},
        {"nip": "c", "tidak_masuk": False, "terlambat_menit": 3, "pulang_cepat_menit": 0, "insiden": True, "dimaafkan": False, "hadir": True},
        {"nip": "d", "tidak_masuk": True, "terlambat_menit": 0, "pulang_cepat_menit": 0, "insiden": True, "dimaafkan": True, "hadir": False},
    ])
    assert pd_rules.most_disciplined(days, limit=3).index.tolist() == ["a", "b", "c"]
