"""The layering contracts of pyproject.toml cover the whole package.

``lint-imports`` (run by ``scripts/test``) checks the contracts; this checks that they do not
miss a module: a new core module left out of the first contract could import an SOP unseen.
"""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import bapas_sop

PROJECT = Path(__file__).resolve().parents[1]


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["name"]: c for c in config["contracts"]}


def test_every_core_module_is_held_by_the_core_contract() -> None:
    core = _contracts()["The shared core never imports an SOP package"]
    listed = set(core["source_modules"])
    modules = {f"bapas_sop.{m.name}" for m in pkgutil.iter_modules(bapas_sop.__path__)} - {"bapas_sop.sops"}
    assert modules - listed == set(), "add these core modules to the contract in pyproject.toml"
    assert listed - modules == set(), "the contract names modules that do not exist"


def test_every_sop_package_has_rules_held_by_the_rules_contract() -> None:
    from bapas_sop.descriptor import discover

    rules = _contracts()["An SOP's rules are plain Python: no Airflow, no store, no web"]
    assert "bapas_sop.sops.*.rules" in rules["source_modules"]
    from bapas_sop.declared import load_all

    declared = {s.id for s in load_all().sops}  # one YAML file each: no package, no rules module
    for sop in discover():
        if sop.id not in declared:
            assert (PROJECT / "include" / "bapas_sop" / "sops" / sop.id / "rules.py").is_file(), sop.id
