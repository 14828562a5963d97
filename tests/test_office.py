"""An office's own folder (issue 15): forms, steps, schedules and templates changed by editing
files, never the code; a broken file is reported with its line and never breaks what runs.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest

from bapas_sop import office
from bapas_sop.forms.registry import base_forms, get_form
from bapas_sop.policy import StepPolicy


@pytest.fixture
def office_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "kantor"
    (folder / "sops" / "sp2lo").mkdir(parents=True)
    monkeypatch.setenv("BAPAS_CONFIG_DIR", str(folder))
    monkeypatch.setenv("BAPAS_VAR_DIR", str(tmp_path / "var"))
    return folder


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    # A new mtime on every write, as an editor's save gives (the tests write faster than the clock ticks).
    stamp = getattr(_write, "stamp", 1_700_000_000) + 10
    _write.stamp = stamp  # type: ignore[attr-defined]
    os.utime(path, (stamp, stamp))
    return path


FORMS = """\
sp2lo_disposisi:
  intro: Tentukan seksi; catatan wajib diisi di kantor kami.
  fields:
    seksi:
      label: Seksi penanggung jawab
      choices:
        - {value: bkd, label: Dewasa (BKD)}
        - {value: bka, label: Anak (BKA)}
    catatan:
      required: true
      help: Tulis alasan disposisi.
"""


def test_an_office_changes_labels_options_and_required_flags(office_dir: Path) -> None:
    shipped = base_forms()["sp2lo_disposisi"]
    _write(office_dir / "sops" / "sp2lo" / "forms.yaml", FORMS)

    form = get_form("sp2lo_disposisi")
    assert form.intro == "Tentukan seksi; catatan wajib diisi di kantor kami."
    assert form.title == shipped.title
    assert form.field("seksi").label == "Seksi penanggung jawab"
    assert [(c.value, c.label) for c in form.field("seksi").choices] == [("bkd", "Dewasa (BKD)"), ("bka", "Anak (BKA)")]
    assert form.field("catatan").required and form.field("catatan").help == "Tulis alasan disposisi."
    assert form.validate({"seksi": "bka"}).errors == {"catatan": "Catatan disposisi wajib diisi."}
    assert get_form("sp2lo_disposisi") is form  # built once while the file is unchanged

    (office_dir / "sops" / "sp2lo" / "forms.yaml").unlink()
    assert get_form("sp2lo_disposisi") == shipped


def test_required_written_by_the_office_replaces_a_required_if(office_dir: Path) -> None:
    assert base_forms()["sp2lo_rekomendasi"].field("catatan").required_if == ("keputusan", "revisi")
    _write(office_dir / "sops" / "sp2lo" / "forms.yaml", "sp2lo_rekomendasi:\n  fields:\n    catatan:\n      required: true\n")
    form = get_form("sp2lo_rekomendasi")
    assert form.validate({"keputusan": "setuju"}).errors == {"catatan": "Catatan wajib diisi."}


def test_an_office_cannot_add_an_option_value_the_sop_does_not_know(office_dir: Path) -> None:
    from bapas_sop.forms.declared import ConfigError, read_yaml
    from bapas_sop.forms.overlay import build_overlay

    path = _write(office_dir / "sops" / "sp2lo" / "forms.yaml", FORMS.replace("value: bkd", "value: bkx"))
    with pytest.raises(ConfigError) as caught:
        build_overlay(read_yaml(path))
    assert caught.value.line == 7
    assert "nilai pilihan 'bkx' tidak dikenal SOP ini" in caught.value.message


def test_a_misspelt_question_name_is_reported_with_the_right_one(office_dir: Path) -> None:
    from bapas_sop.forms.declared import ConfigError, read_yaml
    from bapas_sop.forms.overlay import build_overlay

    path = _write(office_dir / "sops" / "sp2lo" / "forms.yaml", FORMS.replace("    catatan:", "    catatn:"))
    with pytest.raises(ConfigError) as caught:
        build_overlay(read_yaml(path))
    assert caught.value.line == 9
    assert "pertanyaan 'catatn' tidak ada. Mungkin maksudnya 'catatan'?" in caught.value.message


def test_a_broken_edit_keeps_the_last_good_version_and_logs_why(office_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(office_dir / "sops" / "sp2lo" / "forms.yaml", FORMS)
    assert get_form("sp2lo_disposisi").field("seksi").label == "Seksi penanggung jawab"

    _write(path, FORMS.replace("      label: Seksi penanggung jawab", "     label: Seksi baru"))
    with caplog.at_level(logging.ERROR, logger="bapas_sop.office"):
        assert get_form("sp2lo_disposisi").field("seksi").label == "Seksi penanggung jawab"
    assert f"{path}:6: YAML tidak dapat dibaca" in caplog.text
    assert "versi terakhir yang benar" in caplog.text

    # A process started after the break (nothing in memory) uses the copy saved when it was good.
    office._cache.clear()
    assert get_form("sp2lo_disposisi").field("seksi").label == "Seksi penanggung jawab"


STEPS = """\
steps:
  kabapas_disposisi:
    assignee: kaur_tu
    due_hours: 48
    remind_before_hours: 6
    escalate_to: kasubsi_bkd
schedules:
  sp2lo_ringkasan_harian: "30 6 * * 1-5"
"""


def test_an_office_changes_a_steps_assignee_and_times_at_run_time(office_dir: Path) -> None:
    default = StepPolicy.from_config()
    assert office.effective_step("sp2lo", "kabapas_disposisi", "kabapas", default) == ("kabapas", default)

    _write(office_dir / "sops" / "sp2lo" / "steps.yaml", STEPS)
    assignee, policy = office.effective_step("sp2lo", "kabapas_disposisi", "kabapas", default)
    assert assignee == "kaur_tu"
    assert (policy.due, policy.remind_before, policy.escalate_to_role) == (
        timedelta(hours=48), timedelta(hours=6), "kasubsi_bkd")
    assert policy.expire_after == default.expire_after
    # Only that SOP's DAGs, only that step.
    assert office.effective_step("sp2lo", "kasubsi_menunjuk_pk", "kasubsi_bka", default) == ("kasubsi_bka", default)
    assert office.effective_step("yanpatmas", "kabapas_disposisi", "kabapas", default) == ("kabapas", default)


def test_a_misspelt_role_is_refused_with_the_known_ones(office_dir: Path) -> None:
    from bapas_sop.forms.declared import ConfigError, read_yaml

    path = _write(office_dir / "sops" / "sp2lo" / "steps.yaml", STEPS.replace("assignee: kaur_tu", "assignee: kaurtu"))
    with pytest.raises(ConfigError) as caught:
        office.build_steps(read_yaml(path))
    assert caught.value.line == 3
    assert caught.value.message.startswith(
        "langkah 'kabapas_disposisi', assignee: peran 'kaurtu' tidak ada di daftar peran. "
        "Mungkin maksudnya 'kaur_tu' (Kepala Urusan Tata Usaha)?")


def test_a_negative_time_and_an_unknown_key_are_refused(office_dir: Path) -> None:
    from bapas_sop.forms.declared import ConfigError, read_yaml

    path = _write(office_dir / "sops" / "sp2lo" / "steps.yaml", STEPS.replace("due_hours: 48", "due_hours: -1"))
    with pytest.raises(ConfigError) as caught:
        office.build_steps(read_yaml(path))
    assert (caught.value.line, caught.value.message) == (
        4, "langkah 'kabapas_disposisi', kunci 'due_hours': tidak boleh kurang dari 0.")
    _write(path, STEPS.replace("due_hours: 48", "due_hour: 48"))
    with pytest.raises(ConfigError) as caught:
        office.build_steps(read_yaml(path))
    assert caught.value.line == 4 and "Mungkin maksudnya 'due_hours'?" in caught.value.message


def test_an_office_schedule_replaces_the_dags_own_and_a_broken_one_does_not(office_dir: Path) -> None:
    default = "0 7 * * *"
    assert office.schedule("sp2lo_ringkasan_harian", default) == default
    path = _write(office_dir / "sops" / "sp2lo" / "steps.yaml", STEPS)
    timetable = office.schedule("sp2lo_ringkasan_harian", default)
    assert type(timetable).__name__ == "CronTriggerTimetable"
    assert (timetable.expression, str(timetable.timezone)) == ("30 6 * * 1-5", "Asia/Jakarta")
    assert office.schedule("sp2lo_laporan_bulanan", default) == default

    office._cache.clear()
    for saved in (Path(os.environ["BAPAS_VAR_DIR"]) / "konfigurasi-terakhir").rglob("*"):
        if saved.is_file():
            saved.unlink()
    _write(path, STEPS.replace('"30 6 * * 1-5"', '"30 6 * *"'))
    assert office.schedule("sp2lo_ringkasan_harian", default) == default


def test_an_office_template_is_used_first_and_a_broken_one_is_not(office_dir: Path) -> None:
    from bapas_sop.mail.render import render_email

    context = {"name": "Dewi", "title": "Disposisi uji", "url": "http://x.example/f/1", "due": "Senin", "facts": []}
    assert "Salam hangat dari Bapas Jambi" not in render_email("form_request", context).html
    shipped = (Path(__file__).resolve().parents[1] / "templates" / "email" / "form_request.html").read_text()
    ours = _write(office_dir / "templates" / "email" / "form_request.html",
                  shipped.replace("{% endblock %}\n", "<p>Salam hangat dari Bapas Jambi.</p>{% endblock %}\n"))
    assert "Salam hangat dari Bapas Jambi" in render_email("form_request", context).html

    _write(ours, shipped.replace("{% endblock %}", "{% endblok %}"))
    assert "Salam hangat" not in render_email("form_request", context).html
    assert "Mohon isi formulir" in render_email("form_request", context).html


def test_the_office_folder_holds_its_own_bapas_toml(office_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bapas_sop.settings import get_settings

    monkeypatch.delenv("BAPAS_CONFIG", raising=False)
    shipped = (Path(__file__).resolve().parents[1] / "include" / "config" / "bapas.toml").read_text()
    _write(office_dir / "bapas.toml", shipped.replace('short_name = "Bapas Jambi"', 'short_name = "Bapas Muara Bungo"'))
    assert get_settings().office["short_name"] == "Bapas Muara Bungo"


def test_a_dag_file_parses_with_the_office_schedule_and_despite_a_broken_file(office_dir: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dag_file = Path(__file__).resolve().parents[1] / "dags" / "sp2lo_pemantauan.py"
    path = _write(office_dir / "sops" / "sp2lo" / "steps.yaml", STEPS)
    bag = DagBag(str(dag_file))
    assert bag.import_errors == {}
    assert bag.dags["sp2lo_ringkasan_harian"].timetable.expression == "30 6 * * 1-5"
    assert bag.dags["sp2lo_laporan_bulanan"].timetable.expression == "0 8 1 * *"

    office._cache.clear()
    for saved in (Path(os.environ["BAPAS_VAR_DIR"]) / "konfigurasi-terakhir").rglob("*.yaml"):
        saved.unlink()
    _write(path, "schedules:\n  sp2lo_ringkasan_harian: [30 6 * * 1-5\n")  # unclosed list
    bag = DagBag(str(dag_file))
    assert bag.import_errors == {}
    assert bag.dags["sp2lo_ringkasan_harian"].timetable.expression == "0 7 * * *"
