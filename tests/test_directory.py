"""The staff directory: the shipped demo data, validation, stand-ins and supervisors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bapas_sop.directory import (
    ROLE_TITLES,
    ROLES,
    Assignment,
    Directory,
    DirectoryError,
    Person,
    get_directory,
    kasubsi_role_for_section,
    read_staff,
)
from bapas_sop.settings import PROJECT_DIR
from bapas_sop.tables import TableError

from tests.support import people
from tests.support.people import KABAPAS, KASUBSI_BKA, KASUBSI_BKD

DEMO_CSV = PROJECT_DIR / "include" / "data" / "staff.csv"
HEADER = "nip,nama,email,telepon,peran,seksi,atasan_nip,aktif,cuti,pengganti_nip,jabatan"

# Demo people the tests below lean on (tests/support/people.py).
PK_BKD_ON_LEAVE = people.YULIANA  # Yuliana Harahap
PK_BKD_STAND_IN = people.BAMBANG  # Bambang Setiawan
PK_BKA = people.RINA  # Rina Marlina
FORMER_PK = people.JOKO  # Joko Susilo, aktif = tidak

# A small office for the resolution tests: K(abapas) ← S(ubsi) ← A, B, C (PK).
K, S, A, B, C = (
    "197001011995031001",
    "197502022000032001",
    "198003032005031001",
    "198504042010032001",
    "199005052015031001",
)


def person_row(
    nip: str,
    name: str,
    roles: str,
    section: str,
    boss: str = "",
    *,
    aktif: str = "ya",
    cuti: str = "tidak",
    plh: str = "",
) -> str:
    email = name.lower().replace(" ", ".") + "@bapas-jambi.example"
    return f"{nip},{name},{email},,{roles},{section},{boss},{aktif},{cuti},{plh},"


Overrides = dict[str, str]


def small_office(
    tmp_path: Path,
    *,
    a: Overrides | None = None,
    b: Overrides | None = None,
    c: Overrides | None = None,
    s: Overrides | None = None,
    k: Overrides | None = None,
) -> Directory:
    """Write and load the small office; keyword overrides set aktif/cuti/plh of one person."""
    rows = [
        person_row(K, "Kepala", "kabapas", "pimpinan", **(k or {})),
        person_row(S, "Kasubsi", "kasubsi_bkd", "bkd", K, **(s or {})),
        person_row(A, "Pk A", "pk", "bkd", S, **(a or {})),
        person_row(B, "Pk B", "pk", "bkd", S, **(b or {})),
        person_row(C, "Pk C", "apk", "bkd", S, **(c or {})),
    ]
    path = tmp_path / "staff.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return Directory.load(path)


@pytest.fixture(scope="module")
def demo() -> Directory:
    return Directory.load(DEMO_CSV)


# --- the shipped demo data ---------------------------------------------------------------------


def test_demo_csv_loads_without_errors_or_warnings() -> None:
    result = read_staff(DEMO_CSV)

    assert result.errors == [] and result.warnings == []
    assert len(result.rows) == 18
    assert Directory.load(DEMO_CSV).warnings == []


def test_demo_has_every_role(demo: Directory) -> None:
    for role in ROLES:
        assert demo.by_role(role, include_on_leave=True), f"nobody holds {role}"
    for role in ("kabapas", "kasubsi_bka", "kasubsi_bkd", "ketua_humas"):
        demo.one(role)
    assert len(demo.pks_in_section("bka", include_on_leave=True)) >= 4
    assert len([p for p in demo.by_role("pk", include_on_leave=True) if p.section == "bkd"]) >= 3
    assert len([p for p in demo.by_role("pk") if p.section == "bka"]) >= 3
    assert len(demo.by_role("apk")) >= 1
    for role in ("keuangan", "humas", "staff_tu", "ulp"):
        assert len(demo.by_role(role)) >= 2, role


def test_demo_people_are_fictional_and_well_formed(demo: Directory) -> None:
    assert all(p.email.endswith(".example") for p in demo)
    assert len({p.nip for p in demo}) == len(demo)
    assert all(len(p.nip) == 18 and p.nip.isdigit() for p in demo)
    assert all(p.title for p in demo)
    assert set(ROLE_TITLES) == set(ROLES)


def test_demo_supervision_chain(demo: Directory) -> None:
    assert demo.supervisor_of(PK_BKA.nip).nip == KASUBSI_BKA.nip
    assert demo.supervisor_of(PK_BKD_STAND_IN.nip).nip == KASUBSI_BKD.nip
    assert demo.supervisor_of(KASUBSI_BKA.nip).nip == KABAPAS.nip
    assert demo.supervisor_of(KABAPAS.nip) is None


def test_demo_leave_and_stand_in(demo: Directory) -> None:
    away = demo.get(PK_BKD_ON_LEAVE.nip)
    assert away.on_leave and away.stand_in_nip == PK_BKD_STAND_IN.nip
    assert demo.acting_for(away).nip == PK_BKD_STAND_IN.nip
    assert demo.assignment_for(PK_BKD_ON_LEAVE.nip) == Assignment(demo.get(PK_BKD_STAND_IN.nip), away)
    assert demo.assignee_for_role("kabapas") == Assignment(demo.get(KABAPAS.nip), None)
    assert not demo.assignee_for_role("kabapas").is_substitute


def test_demo_sections(demo: Directory) -> None:
    bkd = demo.pks_in_section("bkd")
    assert PK_BKD_ON_LEAVE.nip not in {p.nip for p in bkd}, "on leave: not offered for new cases"
    assert FORMER_PK.nip not in {p.nip for p in bkd}
    assert PK_BKD_ON_LEAVE.nip in {p.nip for p in demo.pks_in_section("bkd", include_on_leave=True)}
    assert all(p.has_role("pk") or p.has_role("apk") for p in bkd)
    assert demo.kasubsi_for_section("bka").nip == KASUBSI_BKA.nip
    assert demo.kasubsi_for_section("bkd").nip == KASUBSI_BKD.nip
    assert kasubsi_role_for_section("bkd") == "kasubsi_bkd"
    with pytest.raises(DirectoryError, match="tidak dipimpin Kasubsi"):
        demo.kasubsi_for_section("tu")
    with pytest.raises(DirectoryError, match="Seksi tidak dikenal: 'bkx'"):
        demo.pks_in_section("bkx")


# --- roles -------------------------------------------------------------------------------------


def test_pegawai_is_every_active_employee_with_the_usual_leave_rule(demo: Directory) -> None:
    everyone = demo.by_role("pegawai", include_on_leave=True)
    assert everyone == demo.active_employees()
    assert FORMER_PK.nip not in {p.nip for p in everyone}
    present = demo.by_role("pegawai")
    assert present == [p for p in everyone if not p.on_leave]
    assert PK_BKD_ON_LEAVE.nip not in {p.nip for p in present}
    assert demo.get(PK_BKA.nip).has_role("pegawai") and "pegawai" not in demo.get(PK_BKA.nip).roles
    assert not demo.get(FORMER_PK.nip).has_role("pegawai")


def test_inactive_people_hold_no_role(demo: Directory) -> None:
    assert FORMER_PK.nip not in {p.nip for p in demo.by_role("pk", include_on_leave=True)}
    assert FORMER_PK.nip in demo and demo.get(FORMER_PK.nip).active is False


def test_unknown_role_or_nip_is_a_clear_error(demo: Directory) -> None:
    with pytest.raises(DirectoryError, match="Peran tidak dikenal: 'pks'"):
        demo.by_role("pks")
    with pytest.raises(DirectoryError, match="NIP 123 tidak ada di daftar pegawai"):
        demo.get("123")
    assert demo.find("123") is None
    assert demo.get("19740812 199903 1 002").nip == KABAPAS.nip, "a NIP typed with spaces is found"
    assert demo.by_email("HENDRA.SIREGAR@bapas-jambi.example").nip == KABAPAS.nip


def test_one_refuses_none_and_many(demo: Directory, tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match="dipegang 6 pegawai aktif"):
        demo.one("pk")
    office = small_office(tmp_path)
    with pytest.raises(DirectoryError, match=r"Tidak ada pegawai aktif dengan peran Ketua Humas \(ketua_humas\)"):
        office.one("ketua_humas")


def test_assignees_for_a_team_replace_and_deduplicate(demo: Directory) -> None:
    assignments = demo.assignees_for_role("pk")
    nips = [a.person.nip for a in assignments]
    assert len(nips) == len(set(nips)) == 5, "the stand-in is a PK too: asked once"
    assert PK_BKD_ON_LEAVE.nip not in nips


# --- stand-ins -----------------------------------------------------------------------------------


def test_stand_in_chain_is_followed(tmp_path: Path) -> None:
    office = small_office(tmp_path, a={"cuti": "ya", "plh": B}, b={"cuti": "ya", "plh": C})

    assert office.acting_for(A).nip == C
    assert office.assignment_for(A) == Assignment(office.get(C), office.get(A))
    assert office.warnings == []


def test_stand_in_cycle_falls_back_to_supervisor(tmp_path: Path) -> None:
    office = small_office(tmp_path, a={"cuti": "ya", "plh": B}, b={"cuti": "ya", "plh": A})

    assert office.acting_for(A).nip == S
    assert office.acting_for(B).nip == S
    assert any("berputar kembali" in w for w in office.warnings)


def test_cycle_with_everyone_away_ends_at_the_person(tmp_path: Path) -> None:
    office = small_office(
        tmp_path,
        a={"cuti": "ya", "plh": B},
        b={"cuti": "ya", "plh": A},
        s={"cuti": "ya", "plh": A},
        k={"cuti": "ya", "plh": S},
    )

    assert office.acting_for(A).nip == A, "nobody is available: the step stays with A and escalates"


def test_leave_without_stand_in_goes_to_supervisor(tmp_path: Path) -> None:
    office = small_office(tmp_path, a={"cuti": "ya"})

    assert office.acting_for(A).nip == S
    assert any("cuti tanpa pengganti" in w and "Pk A" in w for w in office.warnings)


def test_kabapas_on_leave_is_replaced_by_plh(tmp_path: Path) -> None:
    office = small_office(tmp_path, k={"cuti": "ya", "plh": S})

    assignment = office.assignee_for_role("kabapas")
    assert assignment.person.nip == S and assignment.original.nip == K and assignment.is_substitute


def test_supervisor_of_follows_leave_and_skips_oneself(tmp_path: Path) -> None:
    office = small_office(tmp_path, s={"cuti": "ya", "plh": B})

    assert office.supervisor_of(A).nip == B, "the Kasubsi is away: escalate to the Plh Kasubsi"
    assert office.supervisor_of(B).nip == K, "B stands in for their own supervisor: go one level up"
    assert office.supervisor_of(K) is None


def test_directory_from_people_checks_references() -> None:
    boss = Person(nip=K, name="Kepala", email="k@bapas-jambi.example", roles=("kabapas",), section="pimpinan")
    worker = Person(nip=A, name="Pk A", email="a@bapas-jambi.example", roles=("pk",), section="bkd", supervisor_nip=S)

    with pytest.raises(TableError, match=f"NIP {A} \\(Pk A\\): NIP atasan '{S}' tidak ada di daftar pegawai"):
        Directory([boss, worker])
    assert len(Directory([boss])) == 1


# --- malformed files -------------------------------------------------------------------------------


def test_malformed_staff_csv_reports_rows_and_keeps_valid_ones(tmp_path: Path) -> None:
    rows = [
        person_row(K, "Kepala", "kabapas", "pimpinan"),  # 2 ok
        f"{A},Pk A,budi@,,pk,bkd,{K},ya,tidak,,",  # 3 bad email
        f",Tanpa Nip,tanpa.nip@bapas-jambi.example,,pk,bkd,{K},ya,tidak,,",  # 4 missing NIP
        person_row(K, "Kembar", "pk", "bkd", K),  # 5 duplicate NIP (and self-supervised)
        person_row(B, "Pk B", "pk|kepala", "bkd", K),  # 6 unknown role
        person_row(C, "Pk C", "pk", "bkd", "196001011985031001"),  # 7 unknown supervisor
        person_row(S, "Kasubsi", "kasubsi_bkd", "bkd", K),  # 8 ok
        person_row("199107072016032001", "Pk D", "pk", "bkd", A),  # 9 supervisor on a refused row: not "unknown"
        person_row("199208082017031001", "Kepala Dua", "kabapas", "pimpinan", K),  # 10 second Kabapas
    ]
    path = tmp_path / "staff.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")

    result = read_staff(path)
    by_row = {e.row: str(e) for e in result.errors}
    assert result.bad_rows == [3, 4, 5, 6, 7, 10]
    assert by_row[3] == "Baris 3, kolom email: alamat email tidak valid: 'budi@'"
    assert by_row[4] == "Baris 4, kolom nip: wajib diisi."
    assert by_row[5].startswith(f"Baris 5, kolom nip: '{K}' sudah dipakai di baris 2")
    assert by_row[6].startswith("Baris 6, kolom peran: 'kepala' bukan pilihan yang dikenal")
    assert by_row[7] == "Baris 7, kolom atasan_nip: NIP atasan '196001011985031001' tidak ada di daftar pegawai."
    assert by_row[10].startswith("Baris 10, kolom peran: peran kabapas (Kepala Bapas) sudah dipegang Kepala (baris 2)")
    assert list(result.rows.index) == [2, 8, 9], "valid rows are kept"

    with pytest.raises(TableError) as info:
        Directory.load(path)
    message = str(info.value)
    assert str(path) in message
    for row in (3, 4, 5, 6, 7, 10):
        assert f"- Baris {row}," in message


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("nip,nama,telepon,peran,seksi\n" + f"{K},Kepala,,kabapas,pimpinan\n", encoding="utf-8")

    with pytest.raises(TableError, match="Kolom wajib tidak ada di daftar pegawai: email."):
        Directory.load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="Berkas daftar pegawai tidak ditemukan"):
        Directory.load(tmp_path / "tidak-ada.csv")


def test_semicolon_separated_staff_csv_with_bom(tmp_path: Path) -> None:
    text = DEMO_CSV.read_text(encoding="utf-8").replace(",", ";")
    path = tmp_path / "staff.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    office = Directory.load(path)
    assert len(office) == 18 and office.one("kabapas").nip == KABAPAS.nip


def test_inactive_supervisor_or_stand_in_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="Pk B.*sudah tidak aktif"):
        small_office(tmp_path, a={"cuti": "ya", "plh": B}, b={"aktif": "tidak"})


# --- the cached directory ------------------------------------------------------------------------


def test_get_directory_reads_the_data_dir_and_sees_edits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("BAPAS_DATA_DIR", str(data))
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path / "var"))
    staff = data / "staff.csv"
    staff.write_text(HEADER + "\n" + person_row(K, "Kepala", "kabapas", "pimpinan") + "\n", encoding="utf-8")

    first = get_directory()
    assert get_directory() is first, "unchanged file: not parsed again"
    assert first.one("kabapas").name == "Kepala"

    staff.write_text(HEADER + "\n" + person_row(K, "Kepala Baru", "kabapas", "pimpinan") + "\n", encoding="utf-8")
    stat = staff.stat()
    os.utime(staff, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert get_directory().one("kabapas").name == "Kepala Baru"
    assert get_directory(DEMO_CSV).one("kabapas").nip == KABAPAS.nip
