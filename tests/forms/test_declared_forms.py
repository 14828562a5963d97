"""The forms shipped with the project are data (issue 15): every ``forms.yaml`` loads, and what
the code reads from an answer (choice values, numbered slots) is what the YAML declares.

The YAML files were dumped from the Python ``FormSpec`` definitions they replace, with a test
that each loaded form equalled its Python original (commit "Every SOP's forms dumped to
forms.yaml"); these tests keep the YAML and the code that reads the answers in step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bapas_sop.descriptor import form_modules
from bapas_sop.forms.declared import load_forms
from bapas_sop.forms.registry import SHARED_FORM_MODULES, all_forms, get_form

PACKAGE = Path(__file__).resolve().parents[2] / "include" / "bapas_sop"


def _yaml_files() -> list[Path]:
    return sorted(PACKAGE.glob("sops/*/forms.yaml")) + sorted(PACKAGE.glob("kinerja/forms.yaml"))


def _values(form: str, field: str) -> list[str]:
    return [c.value for c in get_form(form).field(field).choices]


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: p.parent.name)
def test_every_forms_yaml_loads_and_is_registered(path: Path) -> None:
    registered = all_forms()  # imports the forms modules, which register their named checks
    forms = load_forms(path)
    assert forms, path
    for name, spec in forms.items():
        assert registered[name] == spec


def test_every_forms_module_has_its_yaml() -> None:
    import importlib

    for module in (*SHARED_FORM_MODULES, *form_modules()):
        if module == "bapas_sop.declared.forms":
            continue  # the forms of SOPs declared in one file live in that file (sops/<id>.yaml)
        assert Path(importlib.import_module(module).__file__).with_suffix(".yaml").is_file(), module


def test_sp2lo_choices_are_the_litmas_vocabulary() -> None:
    from bapas_sop.sops.sp2lo.terms import LITMAS_TYPES, REQUESTING_AGENCIES, SECTION_LABELS

    for form in ("sp2lo_permohonan", "sp2lo_surat_masuk"):
        assert _values(form, "instansi") == list(REQUESTING_AGENCIES)
        assert _values(form, "jenis_litmas") == list(LITMAS_TYPES)
        assert _values(form, "kategori") == ["anak", "dewasa"]
    assert _values("sp2lo_disposisi", "seksi") == list(SECTION_LABELS)
    assert _values("sp2lo_rekomendasi", "keputusan") == ["setuju", "revisi"]


def test_numbered_slots_match_the_code_that_reads_them() -> None:
    from bapas_sop.sops.pekan_disiplin.forms import EXCUSE_FIELDS
    from bapas_sop.sops.piket_hari_libur.forms import MAX_SWAPS
    from bapas_sop.sops.tamu_ngopi.forms import MAX_ITEMS

    swaps = [f.name for f in get_form("piket_hari_libur_pemeriksaan").fields if f.name.startswith(("keluar_", "masuk_"))]
    assert swaps == [f"{side}_{i}" for i in range(1, MAX_SWAPS + 1) for side in ("keluar", "masuk")]
    items = {f.name for f in get_form("tamu_ngopi_keputusan").fields}
    assert {f"{k}_{i}" for i in range(1, MAX_ITEMS + 1) for k in ("tindakan", "pj", "tenggat")} <= items
    excuses = [f.name for f in get_form("pekan_disiplin_keputusan_atasan").fields]
    assert [n for n in excuses if n in EXCUSE_FIELDS or n.startswith("bukti_")] == [
        n for name in EXCUSE_FIELDS for n in (name, f"bukti_{name}")]


def test_answers_the_flows_compare_against_are_offered() -> None:
    from bapas_sop.sops.piket_hari_libur import forms as piket
    from bapas_sop.sops.yanpatmas.rules import CHANNELS

    assert {piket.AVAILABLE, piket.UNAVAILABLE} <= set(_values("piket_hari_libur_kesediaan", "kesediaan"))
    assert {piket.ACCEPT, piket.DECLINE} <= set(_values("piket_hari_libur_konfirmasi_pengganti", "keputusan"))
    assert _values("gaji_umr_kontak_klien", "status") == ["dikonfirmasi", "menolak", "tidak_terhubung"]
    assert _values("yanpatmas_pengaduan_masuk", "saluran") == [k for k in CHANNELS if k != "web"]


def test_the_survey_asks_every_skm_element() -> None:
    from bapas_sop.kinerja.skm import ELEMENT_KEYS

    assert [f.name for f in get_form("skm").fields] == [*ELEMENT_KEYS, "komentar"]
