"""Every FormSpec by name, so a stored request can find its form again in any process."""

from __future__ import annotations

import importlib
from pathlib import Path

from bapas_sop.forms.spec import FormSpec

_FORMS: dict[str, FormSpec] = {}

# The shared forms; each SOP names its own in its descriptor (bapas_sop.descriptor).
SHARED_FORM_MODULES = ("bapas_sop.kinerja.forms",)


def register(*specs: FormSpec) -> None:
    for spec in specs:
        existing = _FORMS.get(spec.name)
        if existing is not None and existing != spec:
            raise ValueError(f"two different forms named {spec.name!r}")
        _FORMS[spec.name] = spec


def register_declared(path: Path | str) -> dict[str, FormSpec]:
    """Register the forms of a YAML file and return them by name.

    A forms module passes its own ``__file__``: its forms are declared in the ``.yaml`` beside it
    (``sops/<sop>/forms.py`` -> ``sops/<sop>/forms.yaml``), after it has registered the named
    checks they use. A mistake in the file raises ``ConfigError`` (file, line, Indonesian fix).
    """
    from bapas_sop.forms.declared import load_forms

    target = Path(path)
    forms = load_forms(target.with_suffix(".yaml") if target.suffix == ".py" else target)
    register(*forms.values())
    return forms


def _import_all() -> None:
    from bapas_sop.descriptor import form_modules

    for module in (*SHARED_FORM_MODULES, *form_modules()):
        importlib.import_module(module)


def base_forms() -> dict[str, FormSpec]:
    """Every form as shipped with the project, without the office's changes (imports all form modules)."""
    _import_all()
    return dict(_FORMS)


def get_form(name: str) -> FormSpec:
    """The form ``name`` as people see it: shipped, with the office's changes (``forms.overlay``)."""
    if name not in _FORMS:
        _import_all()
    from bapas_sop.forms.overlay import effective

    return effective(_FORMS[name])


def all_forms() -> dict[str, FormSpec]:
    """Every form of every SOP, by name, with the office's changes (imports all form modules)."""
    from bapas_sop.forms.overlay import effective

    return {name: effective(spec) for name, spec in base_forms().items()}
