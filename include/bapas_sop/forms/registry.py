"""Every FormSpec by name, so a stored request can find its form again in any process."""

from __future__ import annotations

import importlib

from bapas_sop.forms.spec import FormSpec

_FORMS: dict[str, FormSpec] = {}

# Modules that define forms; imported on first look-up so the web app knows every SOP's forms.
FORM_MODULES = ("bapas_sop.forms.common", "bapas_sop.forms.sp2lo", "bapas_sop.forms.peterpan", "bapas_sop.forms.gaji_umr", "bapas_sop.forms.bus_mini")


def register(*specs: FormSpec) -> None:
    for spec in specs:
        existing = _FORMS.get(spec.name)
        if existing is not None and existing != spec:
            raise ValueError(f"two different forms named {spec.name!r}")
        _FORMS[spec.name] = spec


def get_form(name: str) -> FormSpec:
    if name not in _FORMS:
        for module in FORM_MODULES:
            importlib.import_module(module)
    return _FORMS[name]
