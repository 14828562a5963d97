"""The factory of declared SOPs: a file's mistakes reported in Indonesian with the file and the line,
a broken file that leaves the other SOPs parsing, and the shipped PPID file whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bapas_sop.declared import SHIPPED_DIR
from bapas_sop.declared.spec import ConfigError, check_sop
from bapas_sop.settings import TEMPLATES_DIR
from bapas_sop.templating import template_path

PROJECT = Path(__file__).resolve().parents[2]
PPID = (SHIPPED_DIR / "ppid.yaml").read_text(encoding="utf-8")

#: A small SOP of an office: leave requests answered by the Kaur TU in 3 working days.
SIMPLE = """\
id: izin_sederhana
title: Izin Sederhana
summary: Contoh SOP kantor dalam satu berkas.
intake:
  form: izin_permohonan
  requester: {name: nama, email: email}
steps:
  - id: memutuskan
    title: "Putuskan permohonan izin {nomor}"
    form: izin_keputusan
    assignee: kabapas
    due: {working_days: 3}
    notify: [{to: pemohon, template: ppid/keberatan_selesai}]
forms:
  izin_permohonan:
    title: Permohonan izin
    fields:
      - {name: nama, label: Nama}
      - {name: email, label: Email, kind: email}
  izin_keputusan:
    title: Keputusan
    fields:
      - name: keputusan
        label: Keputusan
        kind: choice
        choices: [disetujui, ditolak]
"""


def _error(tmp_path: Path, text: str, name: str = "ppid.yaml") -> ConfigError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_sop(path)
    assert caught.value.file == str(path)
    return caught.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_shipped_ppid_file_is_whole():
    from bapas_sop.directory import get_directory

    sop = check_sop(SHIPPED_DIR / "ppid.yaml")
    assert [s.id for s in sop.steps] == ["menjawab_permohonan", "mengajukan_keberatan", "menjawab_keberatan"]
    assert [str(s.due) for s in sop.steps] == ["10 hari kerja", "30 hari kerja", "30 hari kerja"]
    assert str(sop.step("menjawab_permohonan").extension.by) == "7 hari kerja"
    # Every template it names exists, and every role it names is held by an active employee.
    emails = [sop.intake.acknowledgement, *(e.template for s in sop.steps for e in (*s.notify, *(s.extension.notify if s.extension else ())))]
    emails += [s.email.template for s in sop.steps if s.email]
    documents = [e.attach.template for s in sop.steps for e in (*s.notify, *([s.email] if s.email else ())) if e.attach]
    missing = [n for n in emails if not template_path(TEMPLATES_DIR, "email", n + ".html").is_file()]
    missing += [n for n in documents if not template_path(TEMPLATES_DIR, "documents", n + ".html").is_file()]
    assert missing == [] and len(documents) == 2
    roles = {s.assignee for s in sop.steps} | {s.escalate_to for s in sop.steps if s.escalate_to}
    roles |= {e.to for s in sop.steps for e in s.notify}
    directory = get_directory()
    assert {r for r in roles - {"pemohon"} if not directory.by_role(r)} == set()


def test_a_misspelt_form_names_the_line_and_the_right_name(tmp_path):
    text = PPID.replace("form: ppid_keberatan", "form: ppid_keberatn")
    error = _error(tmp_path, text)
    assert error.line == _line_of(text, "form: ppid_keberatn")
    assert "formulir 'ppid_keberatn' tidak dikenal" in error.message and "Mungkin maksud Anda 'ppid_keberatan'" in error.message


def test_a_step_that_goes_back_is_refused(tmp_path):
    text = PPID.replace("step: menjawab_keberatan", "step: menjawab_permohonan")
    error = _error(tmp_path, text)
    assert error.line == _line_of(text, "        step: menjawab_permohonan")
    assert "tidak boleh kembali" in error.message


def test_a_wrong_time_unit_is_explained(tmp_path):
    text = PPID.replace("due: {working_days: 10}", "due: {hari_kerja: 10}")
    error = _error(tmp_path, text)
    assert error.line == _line_of(text, "due: {hari_kerja: 10}")
    assert "satuan waktu 'hari_kerja' tidak dikenal" in error.message and "working_days" in error.message


def test_a_condition_on_a_question_the_form_lacks_is_refused(tmp_path):
    text = PPID.replace("- when: {mengajukan_keberatan: ya}", "- when: {keberatan: ya}")
    error = _error(tmp_path, text)
    assert "pertanyaan formulir 'ppid_keberatan' 'keberatan' tidak dikenal" in error.message
    assert "mengajukan_keberatan" in error.message


def test_bad_indentation_names_its_line(tmp_path):
    text = PPID.replace("    assignee: kabapas\n", "      assignee: kabapas\n", 1)
    error = _error(tmp_path, text)
    assert 0 < error.line <= _line_of(text, "      assignee: kabapas") + 1
    assert "YAML tidak dapat dibaca" in error.message and "indentasi" in error.message


def test_a_mistake_in_a_form_comes_from_the_forms_loader_with_its_line(tmp_path):
    text = PPID.replace("{name: tujuan, label: Tujuan penggunaan informasi, kind: long_text",
                        "{name: tujuan, label: Tujuan penggunaan informasi, kind: teks_panjang")
    error = _error(tmp_path, text)
    assert error.line == _line_of(text, "kind: teks_panjang") and "teks_panjang" in error.message


def test_the_id_must_match_the_file_name(tmp_path):
    error = _error(tmp_path, PPID, name="informasi.yaml")
    assert "harus sama dengan nama berkasnya" in error.message


# A fresh interpreter: an office folder with a good SOP and a broken one, parsed by Airflow's DagBag.
PROBE = r"""
import json, sys
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk.exceptions import AirflowFailException
bag = DagBag(sys.argv[1])
from bapas_sop.descriptor import discover
broken = bag.dags.get("rusak")
failure = None
try:
    broken.get_task("periksa_berkas_sop").python_callable()
except AirflowFailException as exc:
    failure = str(exc)
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dags),
                  "tasks": sorted(bag.dags["izin_sederhana"].task_dict), "failure": failure,
                  "doc": broken.doc_md, "sops": [d.id for d in discover()]}))
"""


def test_a_broken_office_file_leaves_the_other_sops_parsing(tmp_path):
    import json
    import os

    office = tmp_path / "kantor"
    (office / "sops").mkdir(parents=True)
    (office / "sops" / "izin_sederhana.yaml").write_text(SIMPLE, encoding="utf-8")
    (office / "sops" / "rusak.yaml").write_text(SIMPLE.replace("id: izin_sederhana", "id: rusak")
                                                .replace("    form: izin_keputusan\n", "   form: izin_keputusan\n"))
    env = {**os.environ, "BAPAS_CONFIG_DIR": str(office)}
    done = subprocess.run([sys.executable, "-c", PROBE, str(PROJECT / "dags" / "sop_deklaratif.py")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["errors"] == {}
    assert seen["dags"] == ["izin_sederhana", "ppid", "rusak"]
    assert "memutuskan.kirim_formulir" in seen["tasks"] and "catat_memutuskan" in seen["tasks"]
    # The broken file's DAG says what is wrong, where, in Indonesian; its one task fails with it.
    assert "rusak.yaml:" in seen["failure"] and "YAML tidak dapat dibaca" in seen["failure"]
    assert "Berkas SOP tidak dapat dipakai" in seen["doc"]
    # The good office SOP is an SOP like the others (admin navigation, Kinerja); the broken one is not.
    assert "izin_sederhana" in seen["sops"] and "ppid" in seen["sops"] and "rusak" not in seen["sops"]


def test_check_config_names_a_misspelt_role_and_a_missing_template(tmp_path):
    from bapas_sop.declared.check import check_declared_sops

    text = SIMPLE.replace("assignee: kabapas", "assignee: kabapass").replace("ppid/keberatan_selesai", "izin/hasil")
    path = tmp_path / "izin_sederhana.yaml"
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in check_declared_sops((path,))]
    role, template = problems
    assert role.startswith(f"{path}:{_line_of(text, 'assignee: kabapass')}: Peran tidak dikenal: 'kabapass'; yang ada: kabapas")
    assert role.endswith("Periksa ejaannya, atau tulis 'pemohon' untuk pemohon.")
    assert template == (f"{path}:{_line_of(text, 'izin/hasil')}: templat 'izin/hasil' tidak ditemukan: buat berkas "
                        "templates/izin/email/hasil.html.")


def test_a_file_named_like_an_sop_package_does_not_take_its_dag_id(tmp_path):
    from bapas_sop.declared.dag import build_dags

    path = tmp_path / "sp2lo.yaml"
    path.write_text(SIMPLE.replace("id: izin_sederhana", "id: sp2lo"), encoding="utf-8")
    dags = build_dags((path,))
    assert list(dags) == ["sp2lo_berkas_sop"]  # dags/sp2lo.py keeps its DAG id, and parses
    assert "sudah dipakai SOP lain" in dags["sp2lo_berkas_sop"].description
