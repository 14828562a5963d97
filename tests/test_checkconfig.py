"""``scripts/check-config`` (issue 15): an office's mistakes, each with its file, line and fix in
Indonesian, and exit status 1; a correct folder passes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bapas_sop.checkconfig import main

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture
def office_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kantor"
    (folder / "sops" / "sp2lo").mkdir(parents=True)
    monkeypatch.setenv("BAPAS_CONFIG_DIR", str(folder))
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path / "var"))
    return folder


def _run(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = main([])
    errors = [line.removeprefix("KESALAHAN ") for line in capsys.readouterr().out.splitlines()
              if line.startswith("KESALAHAN ")]
    return status, errors


def test_a_correct_office_folder_passes(office_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (office_dir / "sops" / "sp2lo" / "steps.yaml").write_text(
        "steps:\n  kabapas_disposisi:\n    assignee: kaur_tu\n    due_hours: 48\n"
        "schedules:\n  sp2lo_ringkasan_harian: '30 6 * * 1-5'\n")
    (office_dir / "sops" / "sp2lo" / "forms.yaml").write_text(
        "sp2lo_disposisi:\n  fields:\n    seksi:\n      label: Seksi penanggung jawab\n")
    (office_dir / "templates" / "email").mkdir(parents=True)
    (office_dir / "templates" / "email" / "form_request.html").write_text(
        (PROJECT / "templates" / "email" / "form_request.html").read_text())
    assert _run(capsys) == (0, [])


def test_a_misspelt_role_names_file_line_and_the_role_meant(office_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    steps = office_dir / "sops" / "sp2lo" / "steps.yaml"
    steps.write_text("steps:\n  kabapas_disposisi:\n    due_hours: 48\n    assignee: kaur_ttu\n")
    status, errors = _run(capsys)
    assert status == 1
    assert errors == [
        f"{steps}:4: langkah 'kabapas_disposisi', assignee: peran 'kaur_ttu' tidak ada di daftar peran. "
        "Mungkin maksudnya 'kaur_tu' (Kepala Urusan Tata Usaha)? Peran yang ada: kabapas, kasubsi_bka, kasubsi_bkd, "
        "pk, apk, keuangan, humas, ketua_humas, pokja3, staff_tu, ulp, kaur_tu, petugas_apel, ppid, pegawai."]


def test_a_role_nobody_holds_is_refused(tmp_path: Path, office_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    staff = (PROJECT / "include" / "data" / "staff.csv").read_text()
    (data / "staff.csv").write_text(staff.replace("|ppid", ""))
    monkeypatch.setenv("BAPAS_DATA_DIR", str(data))
    steps = office_dir / "sops" / "sp2lo" / "steps.yaml"
    steps.write_text("steps:\n  kabapas_disposisi:\n    escalate_to: ppid\n")
    status, errors = _run(capsys)
    # The shipped PPID file (include/config/sops/ppid.yaml) names the role too: its lines are named as well.
    office = [e for e in errors if "ppid.yaml" not in e]
    assert status == 1 and len(office) == 1
    assert office[0].startswith(f"{steps}:3: langkah 'kabapas_disposisi', escalate_to: tidak ada pegawai aktif dengan "
                                "peran 'ppid'")
    assert [e.split(": ", 1)[0].rsplit("/", 1)[-1] for e in errors if "ppid.yaml" in e] == ["ppid.yaml:38", "ppid.yaml:82"]


def test_a_misspelt_step_and_sop_folder_are_named(office_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    steps = office_dir / "sops" / "sp2lo" / "steps.yaml"
    steps.write_text("steps:\n  kabapas_disposis:\n    due_hours: 48\n")
    (office_dir / "sops" / "sp2l0").mkdir()
    status, errors = _run(capsys)
    assert status == 1
    assert errors[0] == (f"{office_dir / 'sops' / 'sp2l0'}: folder SOP 'sp2l0' tidak dikenal. Mungkin maksudnya 'sp2lo'? "
                         "Nama folder yang dikenal: " + errors[0].split("Nama folder yang dikenal: ")[1])
    assert errors[1].startswith(f"{steps}:2: langkah 'kabapas_disposis' tidak ada di SOP SP2LO. "
                                "Mungkin maksudnya 'kabapas_disposisi'?")


def test_a_missing_template_is_named(office_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    email = office_dir / "templates" / "email"
    email.mkdir(parents=True)
    (email / "form_requets.html").write_text("{% extends 'base.html' %}")
    status, errors = _run(capsys)
    assert status == 1
    assert errors == [f"{email / 'form_requets.html'}: tidak ada template bawaan 'email/form_requets.html', jadi berkas "
                      "ini tidak akan pernah dipakai. Mungkin maksudnya 'email/form_request.html'?"]


def test_a_broken_template_names_its_line(office_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    email = office_dir / "templates" / "email"
    email.mkdir(parents=True)
    (email / "form_request.html").write_text("{% extends 'base.html' %}\n{% block content %}\nHalo {{ name }\n{% endblock %}\n")
    status, errors = _run(capsys)
    assert status == 1 and len(errors) == 1
    assert errors[0].startswith(f"{email / 'form_request.html'}:3: template tidak dapat dibaca")


def test_bad_yaml_indentation_is_named_with_its_line(office_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forms = office_dir / "sops" / "sp2lo" / "forms.yaml"
    forms.write_text("sp2lo_disposisi:\n  fields:\n    seksi:\n      label: Seksi\n     help: Pilih satu.\n")
    status, errors = _run(capsys)
    assert status == 1
    assert errors == [f"{forms}:5: YAML tidak dapat dibaca (expected <block end>, but found '<block mapping start>'). "
                      "Periksa indentasi (gunakan spasi, bukan tab; kunci yang sejajar harus sama jauh masuknya)."]


def test_a_broken_bapas_toml_is_named(tmp_path: Path, office_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    toml = tmp_path / "bapas.toml"
    toml.write_text((PROJECT / "include" / "config" / "bapas.toml").read_text().replace(
        "due_hours = 24", "due_hours = dua puluh empat"))
    monkeypatch.setenv("BAPAS_CONFIG", str(toml))
    status, errors = _run(capsys)
    assert status == 1
    assert errors[0].startswith(f"{toml}:14: TOML tidak dapat dibaca")


def test_the_script_exits_1_on_errors(office_dir: Path) -> None:
    (office_dir / "sops" / "sp2lo" / "steps.yaml").write_text("steps:\n  kabapas_disposisi:\n    assignee: kabapass\n")
    done = subprocess.run([str(PROJECT / "scripts" / "check-config")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "steps.yaml:3: langkah 'kabapas_disposisi', assignee: peran 'kabapass' tidak ada" in done.stdout
    assert "1 kesalahan." in done.stdout
