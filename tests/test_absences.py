"""The leave and official-travel register (cuti.csv)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from bapas_sop.absences import AbsenceRegister, get_absences, read_absences
from bapas_sop.tables import TableError
from tests.support.people import DEDI, KABAPAS, YULIANA


def test_demo_register_answers_who_is_away_on_a_day():
    register = get_absences()
    assert register.absence_on(DEDI.nip, date(2026, 12, 25)).kind == "cuti"
    assert not register.is_away(DEDI.nip, date(2026, 12, 20))
    assert register.is_away(YULIANA.nip, date(2027, 1, 1))
    assert not register.is_away(KABAPAS.nip, date(2026, 12, 25))
    assert {a.nip for a in register.between(date(2026, 12, 24), date(2026, 12, 26))} >= {DEDI.nip, YULIANA.nip}
    assert list(register.frame().columns) == ["nip", "jenis", "mulai", "selesai"]


def test_bad_rows_are_named_in_indonesian():
    text = (
        "nip,jenis,mulai,selesai\n"
        f"{DEDI.nip},cuti,2027-01-10,2027-01-05\n"
        "198001012005011001,dinas_luar,2027-01-10,2027-01-11\n"
        f"{DEDI.nip},liburan,2027-01-10,2027-01-11\n"
        f"{DEDI.nip},sakit,2027-02-01,2027-02-02\n"
    )
    result = read_absences(io.StringIO(text), known_nips=[DEDI.nip])
    assert result.bad_rows == [2, 3, 4]
    messages = [str(e) for e in result.errors]
    assert any("Baris 2, kolom selesai" in m and "sebelum" in m for m in messages)
    assert any("Baris 3, kolom nip" in m and "tidak ada di daftar pegawai" in m for m in messages)
    assert len(result.rows) == 1
    with pytest.raises(TableError):
        AbsenceRegister.load(io.StringIO(text), known_nips=[DEDI.nip])


def test_missing_file_means_nobody_is_away(tmp_path):
    assert len(get_absences(tmp_path / "cuti.csv")) == 0
