"""Every form, template and role a DAG or an SOP package names exists.

A misspelt name passes every parse check and fails only when a run reaches the step, perhaps
weeks into a quarter: the Kabapas gets no form (``get_form`` raises), an email is never sent
(the template is missing), a step has nobody to go to (no one holds the role). This reads
the names where they are written and looks each one up:

* the DAGs (parsed like ``tests/dags/test_integrity.py``): each human step's form
  (``FormRequestOperator.form``, a review's ``work_form``/``review_form``), its assignee
  when that is a role, and its policy's ``escalate_to_role``;
* the Python of ``include/bapas_sop`` (read as syntax, not run): ``form_name=`` of the steps a
  flow opens itself (mapped steps), ``template="..."`` of emails, ``render_pdf("...")`` and
  ``render_html("...")`` of documents, ``assignee="..."``/``resolve_assignee("...")`` roles;
* each SOP descriptor's history page template.

Forms must be found by ``bapas_sop.forms.registry.get_form``; templates at
``bapas_sop.templating.template_path``; roles in ``bapas_sop.directory.ROLES`` and held by
at least one active person of ``include/data/staff.csv``.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = PROJECT / "dags"
PACKAGE = PROJECT / "include" / "bapas_sop"
TEMPLATES = PROJECT / "templates"

#: Keyword arguments that name a form, an email template, a role.
FORM_KEYWORDS = frozenset({"form", "form_name", "work_form", "review_form"})
ROLE_KEYWORDS = frozenset({"assignee", "escalate_to_role"})
#: Calls whose first argument is a role: the directory's look-ups and the assignee resolver.
ROLE_CALLS = frozenset({"resolve_assignee", "one", "by_role", "assignee_for_role", "assignees_for_role"})
#: Calls whose first argument is a document template.
DOCUMENT_CALLS = frozenset({"render_pdf", "render_html"})


@dataclass(frozen=True)
class Name:
    """A name as written somewhere: what it is (form, email, documents, pages, role) and where."""

    kind: str
    value: str
    where: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} {self.value!r}"


# --------------------------------------------------------------------------- the lookups


def missing(names: Iterable[Name], *, staff: Path | None = None) -> list[str]:
    """Every name that does not exist, as ``where: kind 'name'`` (empty when all are fine)."""
    from bapas_sop.directory import ROLES, Directory
    from bapas_sop.forms.registry import get_form
    from bapas_sop.templating import template_path

    directory = Directory.load(staff) if staff else Directory.load()
    problems = []
    for name in names:
        if name.kind == "form":
            try:
                get_form(name.value)
            except KeyError:
                problems.append(f"{name} (no such form)")
        elif name.kind == "role":
            if name.value not in ROLES:
                problems.append(f"{name} (no such role)")
            elif not directory.by_role(name.value, include_on_leave=True):
                problems.append(f"{name} (nobody active holds it)")
        else:
            path = template_path(TEMPLATES, name.kind, name.value)
            if path.suffix not in (".html", ".htm"):
                path = path.with_name(path.name + ".html")
            if not path.is_file():
                problems.append(f"{name} (no file {path.relative_to(TEMPLATES.parent)})")
    return problems


# --------------------------------------------------------------------------- the DAGs


def _role(value: Any) -> str | None:
    """An assignee that is a role key; None for ``nip:...``, an outside person, an XCom, a template."""
    if not isinstance(value, str) or value.startswith("nip:") or "{" in value:
        return None
    return value


def dag_names(dag: Any) -> Iterator[Name]:
    """The forms and roles of a DAG's human steps, from the operators' attributes."""
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    for task in dag.tasks:
        where = f"dags {dag.dag_id}.{task.task_id}"
        if isinstance(task, MappedOperator):
            attrs = dict(task.partial_kwargs)
        else:
            attrs = {key: getattr(task, key) for key in (*FORM_KEYWORDS, *ROLE_KEYWORDS, "policy")
                     if hasattr(task, key)}
        for key in FORM_KEYWORDS:
            if isinstance(attrs.get(key), str):
                yield Name("form", attrs[key], where)
        role = _role(attrs.get("assignee"))
        if role:
            yield Name("role", role, where)
        escalate = getattr(attrs.get("policy"), "escalate_to_role", None)
        if escalate:
            yield Name("role", escalate, where)


# --------------------------------------------------------------------------- the Python source


def _module_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_names(path: Path, source: str | None = None) -> Iterator[Name]:
    """The forms, templates and roles a Python file names in its calls.

    A keyword's value is a string literal or a module-level constant of the same module
    (``form_name=CONTACT_FORM``); other expressions (a parameter, an attribute) are names
    chosen at run time and are checked where they are written.
    """
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    constants = {target.id: node.value.value
                 for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                 for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                 if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant)
                 and isinstance(node.value.value, str)}

    def literal(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        where = f"{path.relative_to(PROJECT)}:{node.lineno}"
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        for keyword in node.keywords:
            value = literal(keyword.value)
            if value is None:
                continue
            if keyword.arg in FORM_KEYWORDS:
                yield Name("form", value, where)
            elif keyword.arg == "template":
                yield Name("email", value, where)
            elif keyword.arg in ROLE_KEYWORDS and _role(value):
                yield Name("role", value, where)
        first = literal(node.args[0]) if node.args else None
        if first is None:
            continue
        if func in DOCUMENT_CALLS:
            yield Name("documents", first, where)
        elif func in ROLE_CALLS and _role(first):
            yield Name("role", first, where)


PYTHON_FILES = sorted(PACKAGE.rglob("*.py"))


def descriptor_names() -> Iterator[Name]:
    from bapas_sop.descriptor import discover

    for sop in discover():
        if sop.history is not None:
            yield Name("pages", sop.history.template, f"bapas_sop.sops.{sop.id} descriptor")


# --------------------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(DAGS_FOLDER))
    assert bag.import_errors == {}, bag.import_errors
    return bag


def test_every_form_and_role_of_a_dags_human_steps_exists(dagbag):
    names = [name for _dag_id, dag in sorted(dagbag.dags.items()) for name in dag_names(dag)]
    kinds = {name.kind for name in names}
    assert kinds == {"form", "role"}, f"the DAGs' human steps were not found: {kinds}"
    assert len([n for n in names if n.kind == "form"]) >= 10  # the reading did find the steps
    assert missing(names) == []


def test_every_form_template_and_role_named_in_the_sop_packages_exists():
    names = [name for path in PYTHON_FILES for name in source_names(path)]
    names += list(descriptor_names())
    kinds = {name.kind for name in names}
    assert {"form", "email", "documents", "role", "pages"} <= kinds, kinds
    assert missing(names) == []


# --------------------------------------------------------------------------- the checks catch a typo


def test_a_misspelt_name_in_a_dag_is_reported(tmp_path: Path):
    """A copy of a real DAG file with a form and an assignee role misspelt."""
    from airflow.dag_processing.dagbag import DagBag

    original = (DAGS_FOLDER / "gaji_umr.py").read_text(encoding="utf-8")
    assert 'form="gaji_umr_kegiatan"' in original and 'assignee="kabapas"' in original
    broken = original.replace('form="gaji_umr_kegiatan"', 'form="gaji_umr_kegiatn"', 1)
    broken = broken.replace('assignee="kabapas"', 'assignee="kabapass"', 1)
    (tmp_path / "gaji_umr.py").write_text(broken, encoding="utf-8")
    bag = DagBag(str(tmp_path))
    assert bag.import_errors == {}, bag.import_errors
    problems = missing(dag_names(bag.dags["gaji_umr"]))
    assert any("form 'gaji_umr_kegiatn' (no such form)" in p for p in problems), problems
    assert any("role 'kabapass' (no such role)" in p for p in problems), problems
    assert len(problems) == 2, problems


@pytest.mark.parametrize(("snippet", "expected"), [
    ('batch.email(key=k, to=t, template="gaji_umr/laporann", context={})',
     "email 'gaji_umr/laporann' (no file templates/gaji_umr/email/laporann.html)"),
    ('render_pdf("peterpan/sertifikaat", context)',
     "documents 'peterpan/sertifikaat' (no file templates/peterpan/documents/sertifikaat.html)"),
    ('FORM = "bus_mini_lapoaran"\nhumantask.open_request(key=k, step=s, form_name=FORM)',
     "form 'bus_mini_lapoaran' (no such form)"),
    ('humantask.resolve_assignee("staf_tu", directory)', "role 'staf_tu' (no such role)"),
    ('open_request(assignee="ulp_lama")', "role 'ulp_lama' (no such role)"),
])
def test_a_misspelt_name_in_the_source_is_reported(snippet: str, expected: str):
    path = PACKAGE / "sops" / "example.py"  # never written: the snippet is read as its text
    problems = missing(source_names(path, snippet))
    assert problems == [f"include/bapas_sop/sops/example.py:{snippet.count(chr(10)) + 1}: {expected}"]


def test_a_role_nobody_holds_is_reported(tmp_path: Path):
    staff = (PROJECT / "include" / "data" / "staff.csv").read_text(encoding="utf-8")
    without_ulp = "\n".join(line.replace("apk|ulp", "apk").replace("humas|ulp", "humas") for line in staff.splitlines())
    (tmp_path / "staff.csv").write_text(without_ulp + "\n", encoding="utf-8")
    problems = missing([Name("role", "ulp", "somewhere")], staff=tmp_path / "staff.csv")
    assert problems == ["somewhere: role 'ulp' (nobody active holds it)"]


def test_the_descriptors_are_importable():
    """``descriptor_names`` reads each SOP's descriptor; a broken one would hide its template."""
    from bapas_sop.descriptor import discover

    assert {d.id for d in discover()} >= {"sp2lo", "peterpan", "bus_mini", "gaji_umr"}
    from bapas_sop.declared import load_all

    declared = {sop.id for sop in load_all().sops}  # one YAML file each, no package
    for d in discover():
        if d.id not in declared:
            importlib.import_module(f"bapas_sop.sops.{d.id}")
