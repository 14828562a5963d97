"""``scripts/check-config``: one command that checks an office's whole configuration.

Run by ``scripts/start`` before anything starts, and by hand after editing a file. It checks:

* ``bapas.toml`` (TOML syntax, the keys every SOP reads);
* every form shipped with the project (``sops/<sop>/forms.yaml``: schema, named checks);
* the office folder (``BAPAS_CONFIG_DIR``): ``sops/<sop>/forms.yaml`` against the shipped forms,
  ``sops/<sop>/steps.yaml`` against the SOP's steps, the roles of the staff directory and
  cron syntax, ``templates/`` against the project's template names and Jinja syntax;
* the staff directory itself (``staff.csv``), since every role is checked against it;
* every SOP declared in one file (``sops/<id>.yaml``, shipped and the office's): the file and its
  forms, its roles and its templates (:mod:`bapas_sop.declared.check`).

Every error names the file, the line and the fix, in Indonesian; the exit status is 1 when there
is any. Nothing is changed and nothing is started.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import logging
import os
import re
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bapas_sop.forms.declared import ConfigError, read_yaml
from bapas_sop.settings import PROJECT_DIR, TEMPLATES_DIR, config_path

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
#: The keys of bapas.toml the core reads, by section; an SOP's own section is its own business.
TOML_REQUIRED = {
    "office": ("name", "short_name"),
    "human_steps": ("due_hours", "remind_before_hours", "escalate_after_hours", "expire_after_hours", "link_valid_days"),
}


def dags_folder() -> Path:
    return Path(os.environ.get("AIRFLOW__CORE__DAGS_FOLDER", PROJECT_DIR / "dags"))


# --- the steps of an SOP, read from its code (not run) ---------------------------------------


@dataclass(frozen=True)
class KnownStep:
    """A human step as written in an SOP's DAG file or package.

    :param assignee: the role written there, when it is a plain role (else None: decided at run time).
    :param where: ``file:line`` of the declaration.
    """

    step: str
    form: str | None
    assignee: str | None
    where: str


def known_steps(sop: str, dag_ids: tuple[str, ...] = ()) -> dict[str, KnownStep]:
    """Every human step of ``sop``: ``human_step("id", ...)`` in its DAG files, ``step="id"`` and
    ``*_STEP = "id"`` constants in its package (steps a flow opens itself); a declared SOP's from its file."""
    from bapas_sop.declared import load_all

    for declared in load_all().sops:
        if declared.id == sop:
            return {
                group: KnownStep(group, s.form, None if s.assignee == "pemohon" else s.assignee, declared.source)
                for s in declared.steps
                for group in ([s.id, s.id + "_diperpanjang"] if s.extension else [s.id])
            }
    files = sorted((PACKAGE_DIR / "sops" / sop).rglob("*.py"))
    folder = dags_folder()
    files += sorted(p for p in folder.glob("*.py") if p.stem == sop or p.stem.startswith(f"{sop}_") or p.stem in dag_ids)
    found: dict[str, KnownStep] = {}
    for path in files:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for step, form, assignee, line in _steps_in(tree):
            where = f"{path.relative_to(PROJECT_DIR) if path.is_relative_to(PROJECT_DIR) else path}:{line}"
            if step not in found or (found[step].form is None and form):
                found[step] = KnownStep(step, form, assignee, where)
    return found


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _steps_in(tree: ast.AST) -> Iterator[tuple[str, str | None, str | None, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            kwargs = {k.arg: k.value for k in node.keywords if k.arg}
            form = _literal(kwargs.get("form")) or _literal(kwargs.get("form_name"))
            assignee = _literal(kwargs.get("assignee"))
            if assignee and (assignee.startswith("nip:") or "{" in assignee):
                assignee = None
            if name in ("human_step", "confidential_step") and node.args and _literal(node.args[0]):
                yield _literal(node.args[0]), form, assignee, node.lineno  # type: ignore[misc]
            elif _literal(kwargs.get("step")):
                yield _literal(kwargs["step"]), form, assignee, node.lineno  # type: ignore[misc]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
                for t, v in zip(names, values):
                    if isinstance(t, ast.Name) and t.id.endswith("_STEP") and _literal(v):
                        yield _literal(v), None, None, node.lineno  # type: ignore[misc]


_lock = threading.Lock()
_parsed: dict[str, Any] = {}


def dag_steps() -> dict[str, dict[str, Any]]:
    """``{dag_id: {step: FormRequestOperator}}`` of the DAG files as Airflow parses them (a DAG
    built by a factory from YAML included), parsed again only when a file of the folder changes."""
    folder = dags_folder()
    stamp = str(max((p.stat().st_mtime_ns for p in folder.glob("*.py")), default=0))
    with _lock:
        if _parsed.get("stamp") == stamp:
            return _parsed["steps"]
    steps: dict[str, dict[str, Any]] = {}
    try:
        from airflow.dag_processing.dagbag import DagBag

        from bapas_sop.airflow.operators import FormRequestOperator

        for dag_id, dag in DagBag(str(folder)).dags.items():
            steps[dag_id] = {t.step: t for t in dag.tasks if isinstance(t, FormRequestOperator)}
    except Exception:  # noqa: BLE001 - the static list (known_steps) still answers
        log.exception("DAG files could not be parsed to list their steps")
    with _lock:
        _parsed.update(stamp=stamp, steps=steps)
    return steps


# --- the checks --------------------------------------------------------------------------------


def check_toml(path: Path) -> list[ConfigError]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [ConfigError(path, 0, "berkas tidak ditemukan. Periksa BAPAS_CONFIG atau letak bapas.toml.")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        return [ConfigError(path, int(found.group(1)) if found else 0,
                            f"TOML tidak dapat dibaca ({exc}). Periksa tanda kutip, tanda '=' dan nama bagian [..].")]
    problems = []
    for section, keys in TOML_REQUIRED.items():
        values = data.get(section)
        if not isinstance(values, dict):
            problems.append(ConfigError(path, 0, f"bagian [{section}] tidak ada. Tambahkan bagian itu "
                                                 f"dengan kunci: {', '.join(keys)}."))
            continue
        line = _toml_line(text, section)
        for key in keys:
            if key not in values:
                problems.append(ConfigError(path, line, f"bagian [{section}]: kunci '{key}' wajib ada."))
            elif section == "human_steps" and (not isinstance(values[key], (int, float)) or values[key] < 0):
                problems.append(ConfigError(path, _toml_line(text, section, key),
                                            f"bagian [{section}]: '{key}' harus berupa angka jam 0 atau lebih, "
                                            f"bukan {values[key]!r}."))
    return problems


def _toml_line(text: str, section: str, key: str | None = None) -> int:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == f"[{section}]"), None)
    if start is None:
        return 0
    if key is None:
        return start + 1
    for i in range(start + 1, len(lines)):
        if lines[i].strip().startswith("["):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", lines[i]):
            return i + 1
    return start + 1


def check_shipped_forms() -> list[ConfigError]:
    from bapas_sop.descriptor import form_modules
    from bapas_sop.forms.registry import SHARED_FORM_MODULES

    problems = []
    for module in (*SHARED_FORM_MODULES, *form_modules()):
        try:
            importlib.import_module(module)
        except ConfigError as exc:
            problems.append(exc)
    return problems


def check_directory() -> list[ConfigError]:
    from bapas_sop.directory import default_staff_path, get_directory

    try:
        get_directory()
    except Exception as exc:  # TableError lists every bad row with its row number
        return [ConfigError(default_staff_path(), 0, f"daftar pegawai tidak dapat dipakai: {exc}")]
    return []


def check_office_folder(folder: Path) -> list[ConfigError]:
    from bapas_sop.descriptor import discover
    from bapas_sop.forms.overlay import build_overlay
    from bapas_sop.office import build_steps

    problems: list[ConfigError] = []
    sops = {s.id: s for s in discover()}
    root = folder / "sops"
    if root.is_dir():
        for sop_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            if sop_dir.name not in sops:
                close = difflib.get_close_matches(sop_dir.name, list(sops), n=1)
                hint = f" Mungkin maksudnya '{close[0]}'?" if close else ""
                problems.append(ConfigError(sop_dir, 0, f"folder SOP '{sop_dir.name}' tidak dikenal.{hint} "
                                                        f"Nama folder yang dikenal: {', '.join(sops)}."))
                continue
            for path in sorted(sop_dir.iterdir()):
                if path.name not in ("forms.yaml", "steps.yaml"):
                    problems.append(ConfigError(path, 0, f"berkas '{path.name}' tidak dibaca sistem. Nama berkas "
                                                         "yang dibaca: forms.yaml dan steps.yaml."))
                    continue
                try:
                    doc = read_yaml(path)
                    if path.name == "forms.yaml":
                        build_overlay(doc)
                    else:
                        steps = build_steps(doc)
                        problems += _check_steps_of(sops[sop_dir.name], steps, doc)
                except ConfigError as exc:
                    problems.append(exc)
    problems += check_office_templates(folder / "templates")
    return problems


def _check_steps_of(sop, steps, doc) -> list[ConfigError]:  # noqa: ANN001 - SopDescriptor, OfficeSteps, YamlDocument
    problems = []
    known = known_steps(sop.id, sop.dags)
    if any(step not in known for step in steps.steps):  # a DAG built by a factory: ask Airflow's parse
        parsed = dag_steps()
        known = {**{s: None for dag_id in sop.dags for s in parsed.get(dag_id, {})}, **known}
    for step, override in steps.steps.items():
        if step not in known:
            close = difflib.get_close_matches(step, list(known), n=1)
            hint = f" Mungkin maksudnya '{close[0]}'?" if close else ""
            problems.append(ConfigError(doc.file, override.line, f"langkah '{step}' tidak ada di SOP {sop.title}.{hint} "
                                                                 f"Langkah yang ada: {', '.join(sorted(known))}."))
    for dag_id, line in steps.schedule_lines.items():
        if dag_id not in sop.dags:
            close = difflib.get_close_matches(dag_id, list(sop.dags), n=1)
            hint = f" Mungkin maksudnya '{close[0]}'?" if close else ""
            problems.append(ConfigError(doc.file, line, f"jadwal untuk DAG '{dag_id}': DAG itu bukan milik SOP "
                                                        f"{sop.title}.{hint} DAG SOP ini: {', '.join(sop.dags)}."))
    return problems


def check_office_templates(folder: Path) -> list[ConfigError]:
    """Each office template replaces a project template of the same path, and compiles."""
    from jinja2 import Environment, TemplateSyntaxError

    if not folder.is_dir():
        return []
    shipped = sorted(str(p.relative_to(TEMPLATES_DIR)) for p in TEMPLATES_DIR.rglob("*") if p.is_file())
    env = Environment()
    problems = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = str(path.relative_to(folder))
        if relative not in shipped:
            close = difflib.get_close_matches(relative, shipped, n=1, cutoff=0.7)
            hint = (f" Mungkin maksudnya '{close[0]}'?" if close else
                    " Salin dulu template bawaan dari folder templates/ proyek, lalu ubah salinannya.")
            problems.append(ConfigError(path, 0, f"tidak ada template bawaan '{relative}', jadi berkas ini tidak "
                                                 f"akan pernah dipakai.{hint}"))
            continue
        try:
            env.parse(path.read_text(encoding="utf-8"))
        except TemplateSyntaxError as exc:
            problems.append(ConfigError(path, exc.lineno or 0, f"template tidak dapat dibaca ({exc.message}). "
                                                               "Periksa pasangan {% ... %} dan {{ ... }}."))
        except UnicodeDecodeError:
            problems.append(ConfigError(path, 0, "berkas bukan teks UTF-8. Simpan ulang sebagai UTF-8."))
    return problems


def check_all() -> list[ConfigError]:
    """Every problem of the configuration this process would run with."""
    from bapas_sop.office import config_dir

    problems = check_toml(config_path())
    if problems:  # everything else reads bapas.toml through the settings
        return problems
    problems += check_directory()
    problems += check_shipped_forms()
    problems += check_office_folder(config_dir())
    from bapas_sop.declared.check import check_declared_sops  # SOPs declared in one file, sops/<id>.yaml

    problems += check_declared_sops()
    return problems


def main(argv: list[str] | None = None) -> int:
    from bapas_sop.office import config_dir

    problems = check_all()
    print(f"Memeriksa konfigurasi: {config_path()}, folder kantor {config_dir()}")
    for problem in problems:
        print(f"KESALAHAN {problem}")
    if problems:
        print(f"{len(problems)} kesalahan. Perbaiki berkas di atas (berkas:baris), lalu jalankan scripts/check-config lagi.")
        return 1
    print("Konfigurasi benar.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
