"""Forms declared in YAML (issue 15): what an office's IT officer writes becomes the FormSpec the
pages use, and every mistake is reported in Indonesian with the file, the line and the fix.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import time_machine

from bapas_sop.forms.checks import named_bound, named_check
from bapas_sop.forms.declared import ConfigError, form_from_mapping, load_forms
from bapas_sop.forms.spec import Choice, Field, FormSpec, Kind

GOOD = """\
uji_disposisi:
  title: Disposisi permintaan
  intro: Tentukan seksi yang menangani.
  submit_label: Kirim disposisi
  allow_handover: false
  checks: [uji_tanggal_urut]
  fields:
    - name: seksi
      label: Diteruskan kepada
      kind: choice
      choices:
        - {value: bka, label: Bimbingan Klien Anak}
        - Lainnya
    - name: catatan
      label: Catatan
      kind: long_text
      required: false
      max_length: 2000
      required_if: {field: seksi, equals: Lainnya}
      help: Wajib bila Lainnya.
    - name: mulai
      label: Tanggal mulai
      kind: date
      earliest: today
      latest: 2026-12-31
    - name: selesai
      label: Tanggal selesai
      kind: date
      earliest: uji_awal_tahun
      max_days_ahead: 30
    - name: jumlah
      label: Jumlah
      kind: number
      min: 1
      max: 10
    - name: kode
      label: Kode
      pattern: "[A-Z]{3}"
      pattern_message: tiga huruf besar.
      placeholder: ABC
"""


@named_check("uji_tanggal_urut")
def _in_order(values):
    if values.get("mulai") and values.get("selesai") and values["selesai"] < values["mulai"]:
        return {"selesai": "Tanggal selesai tidak boleh sebelum tanggal mulai."}
    return {}


@named_bound("uji_awal_tahun")
def _start_of_year() -> date:
    return date(2026, 1, 1)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "forms.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> ConfigError:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_forms(path)
    error = caught.value
    assert str(error) == f"{path}:{error.line}: {error.message}"
    return error


def test_a_yaml_form_is_the_formspec_the_pages_use(tmp_path: Path) -> None:
    spec = load_forms(_write(tmp_path, GOOD))["uji_disposisi"]
    from bapas_sop.forms.checks import today

    assert spec == FormSpec(
        name="uji_disposisi",
        title="Disposisi permintaan",
        intro="Tentukan seksi yang menangani.",
        submit_label="Kirim disposisi",
        allow_handover=False,
        checks=(_in_order,),
        fields=(
            Field("seksi", "Diteruskan kepada", Kind.CHOICE,
                  choices=(Choice("bka", "Bimbingan Klien Anak"), Choice("Lainnya", "Lainnya"))),
            Field("catatan", "Catatan", Kind.LONG_TEXT, required=False, max_length=2000,
                  required_if=("seksi", "Lainnya"), help="Wajib bila Lainnya."),
            Field("mulai", "Tanggal mulai", Kind.DATE, earliest=today, latest=date(2026, 12, 31)),
            Field("selesai", "Tanggal selesai", Kind.DATE, earliest=_start_of_year, max_days_ahead=30),
            Field("jumlah", "Jumlah", Kind.NUMBER, min_value=1, max_value=10),
            Field("kode", "Kode", pattern="[A-Z]{3}", pattern_message="tiga huruf besar.", placeholder="ABC"),
        ),
    )


@time_machine.travel("2026-12-07 09:00 +0700", tick=False)
def test_named_checks_and_bounds_work_when_the_form_is_answered(tmp_path: Path) -> None:
    spec = load_forms(_write(tmp_path, GOOD))["uji_disposisi"]
    answer = {"seksi": "bka", "mulai": "2026-12-10", "selesai": "2026-12-08", "jumlah": "3", "kode": "ABC"}
    assert spec.validate(answer).errors == {"selesai": "Tanggal selesai tidak boleh sebelum tanggal mulai."}
    assert spec.validate({**answer, "mulai": "2026-12-06"}).errors == {
        "mulai": "Tanggal mulai: tidak boleh sebelum 7 Desember 2026."}
    assert spec.validate({**answer, "seksi": "Lainnya", "selesai": "2026-12-11"}).errors == {
        "catatan": "Catatan wajib diisi."}


def test_form_from_mapping_builds_one_form_without_a_file() -> None:
    spec = form_from_mapping("uji_satu", {"title": "Satu", "fields": [{"name": "a", "label": "A", "kind": "yes_no"}]})
    assert spec.fields == (Field("a", "A", Kind.YES_NO),)
    with pytest.raises(ConfigError) as caught:
        form_from_mapping("uji_satu", {"title": "Satu", "fields": []}, source="ppid.yaml")
    assert str(caught.value) == "ppid.yaml: form 'uji_satu', kunci 'fields': daftar ini tidak boleh kosong: isi paling sedikit satu."


def test_a_misspelt_kind_names_the_line_and_the_right_word(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("kind: long_text", "kind: long_txt"))
    assert error.line == 16
    assert error.message.startswith("form 'uji_disposisi', pertanyaan ke-2 ('catatan'), kunci 'kind': "
                                    "nilai 'long_txt' tidak dikenal. Mungkin maksudnya 'long_text'?")


def test_an_unknown_key_suggests_the_known_one(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("      max_length: 2000", "      maks_length: 2000"))
    assert error.line == 18
    assert "kunci 'maks_length' tidak dikenal. Mungkin maksudnya 'max_length'?" in error.message


def test_a_missing_label_is_asked_for(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("      label: Jumlah\n", ""))
    assert error.line == 31
    assert error.message == ("form 'uji_disposisi', pertanyaan ke-5 ('jumlah'): kunci 'label' (pertanyaan) wajib ada. "
                             "Tambahkan baris 'label: ...'.")


def test_bad_indentation_is_a_yaml_error_with_its_line(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("      label: Catatan\n", "     label: Catatan\n"))
    assert error.line == 15
    assert error.message.startswith("YAML tidak dapat dibaca")
    assert "indentasi" in error.message


def test_a_tab_is_named(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("      label: Catatan\n", "\tlabel: Catatan\n"))
    assert error.line == 15
    assert "tab" in error.message


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("      label: Catatan\n", "      label: Catatan\n      label: Catatan lain\n"))
    assert error.line == 16
    assert error.message == "kunci 'label' ditulis dua kali (pertama di baris 15). Hapus salah satunya."


def test_an_unknown_named_check_or_bound_lists_the_known_ones(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("[uji_tanggal_urut]", "[uji_tanggal_urutan]"))
    assert error.line == 6
    assert "pemeriksaan bernama 'uji_tanggal_urutan' tidak dikenal. Mungkin maksudnya 'uji_tanggal_urut'?" in error.message
    error = _error(tmp_path, GOOD.replace("earliest: today", "earliest: hari_ini"))
    assert error.line == 24
    assert "batas tanggal bernama 'hari_ini' tidak dikenal." in error.message and "today" in error.message


def test_required_if_must_name_a_field_of_the_form(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("{field: seksi,", "{field: seksi_tujuan,"))
    assert error.line == 19
    assert "'seksi_tujuan' bukan pertanyaan di form ini." in error.message


def test_a_yes_without_quotes_is_explained(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("label: Kode", "label: yes"))
    assert error.line == 37
    assert "harus berupa teks, bukan True. Teks seperti yes/no/on/off ditulis dalam tanda kutip." in error.message


def test_two_fields_with_one_name_and_a_bad_pattern_are_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace("name: kode", "name: jumlah"))
    assert error.line == 36 and "nama 'jumlah' sudah dipakai pertanyaan ke-5" in error.message
    error = _error(tmp_path, GOOD.replace('"[A-Z]{3}"', '"[A-Z{3}"'))
    assert error.line == 38 and "pola (regular expression) tidak sah" in error.message


def test_a_choice_field_needs_its_choices(tmp_path: Path) -> None:
    error = _error(tmp_path, "uji:\n  title: T\n  fields:\n    - name: a\n      label: A\n      kind: choice\n")
    assert error.line == 4
    assert "jenis pilihan perlu 'choices'" in error.message


def test_shared_fields_by_anchor_are_spliced_in(tmp_path: Path) -> None:
    forms = load_forms(_write(tmp_path, (
        "_bersama: &bersama\n"
        "  - {name: nomor, label: Nomor}\n"
        "uji_a:\n  title: A\n  fields: *bersama\n"
        "uji_b:\n  title: B\n  fields:\n    - *bersama\n    - {name: waktu, label: Waktu, kind: datetime}\n"
    )))
    assert set(forms) == {"uji_a", "uji_b"}
    assert [f.name for f in forms["uji_b"].fields] == ["nomor", "waktu"]


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_forms(tmp_path / "tidak-ada.yaml")
    assert caught.value.message == "berkas tidak ditemukan. Periksa nama dan letak berkas."
