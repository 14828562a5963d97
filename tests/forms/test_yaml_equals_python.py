"""Temporary: every YAML form equals the Python FormSpec it replaces (before the Python goes)."""
import importlib
from pathlib import Path

import pytest

from bapas_sop.descriptor import form_modules
from bapas_sop.forms import registry
from bapas_sop.forms.declared import load_forms


@pytest.mark.parametrize("module", ["bapas_sop.kinerja.forms", *form_modules()])
def test_yaml_form_equals_python(module):
    mod = importlib.import_module(module)
    declared = load_forms(Path(mod.__file__).with_suffix(".yaml"))
    forms = registry.all_forms()
    assert declared
    for name, spec in declared.items():
        assert spec == forms[name], name
