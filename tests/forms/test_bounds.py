"""Bounds of ``FormSpec`` fields, row by row (issue 9): dates inside the project's range and the
field's own (``not_future``, ``earliest``, ``latest``, ``max_days_ahead``), numbers finite and as
Indonesians write them, email addresses the outbox can send to. Each refusal is Indonesian,
names the field, and keeps what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bapas_sop.calendar import WIB
from bapas_sop.forms.spec import DATE_CEILING, DATE_FLOOR, Field, FormSpec, Kind

TODAY = datetime.now(WIB).date()


def _in(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


SPEC = FormSpec(name="uji_batas", title="Uji batas", fields=(
    Field("tanggal", "Tanggal", Kind.DATE, required=False),
    Field("diterima", "Waktu diterima", Kind.DATETIME, required=False, not_future=True, earliest=lambda: date(2000, 1, 1)),
    Field("lahir", "Tanggal lahir", Kind.DATE, required=False, not_future=True),
    Field("kembali", "Tanggal kembali", Kind.DATE, required=False, max_days_ahead=366),
    Field("rapat", "Tanggal rapat", Kind.DATE, required=False, earliest=date(2026, 1, 1), latest=date(2026, 12, 31)),
    Field("jumlah", "Jumlah (Rp)", Kind.NUMBER, required=False, min_value=1, max_value=100_000_000),
    Field("nilai", "Nilai", Kind.NUMBER, required=False),
    Field("email", "Email", Kind.EMAIL, required=False),
))


@dataclass(frozen=True)
class Row:
    field: str
    typed: str
    value: Any = None
    error: str | None = None  # the start of the message after "<label>: "

    def __str__(self) -> str:
        return f"{self.field}={self.typed!r}"


ROWS = [
    # --- every date field: the project's range
    Row("tanggal", "2026-12-01", "2026-12-01"),
    Row("tanggal", DATE_FLOOR.isoformat(), DATE_FLOOR.isoformat()),
    Row("tanggal", DATE_CEILING.isoformat(), DATE_CEILING.isoformat()),
    Row("tanggal", "1899-12-31", error="tidak boleh sebelum 1 Januari 1900."),
    Row("tanggal", "0001-01-02", error="tidak boleh sebelum 1 Januari 1900."),
    Row("tanggal", "9999-12-31", error="tidak boleh setelah 31 Desember 2100."),
    Row("tanggal", "2101-01-01", error="tidak boleh setelah 31 Desember 2100."),
    # --- received: not in the future, not before the floor
    Row("diterima", "2000-01-01T00:00", "2000-01-01T00:00:00"),
    Row("diterima", "1999-12-31T23:59", error="tidak boleh sebelum 1 Januari 2000."),
    Row("diterima", "0001-01-01T00:00", error="tidak boleh sebelum 1 Januari 2000."),
    Row("diterima", "9999-12-31T23:59", error="tidak boleh di masa depan"),
    Row("diterima", f"{_in(1)}T00:00", error="tidak boleh di masa depan"),
    Row("diterima", f"{_in(-1)}T23:59", f"{_in(-1)}T23:59:00"),
    Row("lahir", _in(0), _in(0)),
    Row("lahir", _in(1), error="tidak boleh di masa depan"),
    # --- a trip end: a sane horizon
    Row("kembali", _in(366), _in(366)),
    Row("kembali", _in(367), error="tidak boleh setelah "),
    Row("kembali", "9999-12-31", error="tidak boleh setelah "),
    # --- fixed bounds of a field
    Row("rapat", "2026-06-30", "2026-06-30"),
    Row("rapat", "2025-12-31", error="tidak boleh sebelum 1 Januari 2026."),
    Row("rapat", "2027-01-01", error="tidak boleh setelah 31 Desember 2026."),
    # --- numbers as Indonesians write them
    Row("jumlah", "1.500.000", 1500000),
    Row("jumlah", "1.500.000,50", 1500000.5),
    Row("jumlah", "Rp 1.500.000", 1500000),
    Row("jumlah", "Rp. 1.500.000", 1500000),
    Row("jumlah", "rp1.500", 1500),
    Row("jumlah", "100.000.000", 100000000),
    Row("nilai", "3,5", 3.5),
    Row("nilai", "-1.500.000", -1500000),
    # --- numbers refused
    Row("nilai", "nan", error="harus berupa angka."),
    Row("nilai", "NaN", error="harus berupa angka."),
    Row("nilai", "inf", error="harus berupa angka."),
    Row("nilai", "-Infinity", error="harus berupa angka."),
    Row("nilai", "1e400", error="harus berupa angka."),
    Row("nilai", "1e3", error="harus berupa angka."),
    Row("nilai", "1.50.000", error="harus berupa angka."),
    Row("nilai", "1,500.5", error="harus berupa angka."),
    Row("nilai", "Rp", error="harus berupa angka."),
    Row("jumlah", "0", error="tidak boleh kurang dari 1."),
    Row("jumlah", "100.000.001", error="tidak boleh lebih dari 100000000."),
    # --- email addresses: one check (bapas_sop.email_address.valid_email)
    Row("email", "budi@polresta-jambi.example", "budi@polresta-jambi.example"),
    Row("email", "Budi@Polresta-Jambi.Example", "Budi@polresta-jambi.example"),
    Row("email", "a,b@c.example", error="alamat email tidak valid."),
    Row("email", 'x"<evil@attacker.example>', error="alamat email tidak valid."),
    Row("email", "Budi <budi@polresta-jambi.example>", error="alamat email tidak valid."),
    Row("email", "pémohon@contoh.example", error="alamat email tidak valid: bagian sebelum @"),
    Row("email", "budi@@contoh.example", error="alamat email tidak valid."),
    Row("email", "budi..x@contoh.example", error="alamat email tidak valid."),
]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_a_bounded_field_accepts_or_refuses(row: Row) -> None:
    result = SPEC.validate({row.field: row.typed})
    label = SPEC.field(row.field).label
    if row.error is None:
        assert result.errors == {}, result.errors
        assert result.values[row.field] == row.value
        assert type(result.values[row.field]) is type(row.value)
    else:
        assert set(result.errors) == {row.field}
        assert result.errors[row.field].startswith(f"{label}: {row.error}"), result.errors
        assert row.field not in result.values
        assert result.kept[row.field] == row.typed


def test_the_sp2lo_floor_comes_from_the_config(tmp_path, monkeypatch) -> None:
    from bapas_sop.settings import DEFAULT_CONFIG
    from bapas_sop.sops.sp2lo.forms import SURAT_MASUK, received_floor

    assert received_floor() == date(2000, 1, 1)
    config = tmp_path / "bapas.toml"
    config.write_text(DEFAULT_CONFIG.read_text().replace("diterima_paling_awal = 2000-01-01",
                                                         "diterima_paling_awal = 2025-01-01"))
    monkeypatch.setenv("BAPAS_CONFIG", str(config))
    assert received_floor() == date(2025, 1, 1)
    errors = SURAT_MASUK.validate({"diterima_pada": "2024-12-31T10:00"}).errors
    assert errors["diterima_pada"] == "Waktu surat diterima (WIB): tidak boleh sebelum 1 Januari 2025."
