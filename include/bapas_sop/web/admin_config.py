"""The "Konfigurasi SOP" admin page (``/admin/konfigurasi``): what each SOP runs with, and where
each value comes from (the project's default, or the office's own folder, with file and line).

Read-only. The human steps' defaults (assignee role, times) are read from the DAG files the way
Airflow parses them (once per change of the folder); the steps an SOP opens from its own code
(one per person, e.g. each employee's vote) are listed from its package with the office's changes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

@dataclass
class Value:
    """One shown value and where it comes from (``source`` empty: the project's default)."""

    text: str
    source: str = ""


@dataclass
class StepRow:
    step: str
    form: str
    assignee: Value
    due: Value
    remind: Value
    escalate: Value
    expire: Value
    escalate_to: Value


@dataclass
class FieldRow:
    name: str
    label: Value
    kind: str
    required: Value
    help: Value
    choices: Value


@dataclass
class FormBlock:
    name: str
    title: Value
    fields: list[FieldRow] = field(default_factory=list)


@dataclass
class SopBlock:
    id: str
    title: str
    steps: list[StepRow]
    forms: list[FormBlock]
    schedules: list[tuple[str, Value]]


def _hours(value: timedelta | None) -> str:
    if value is None:
        return "-"
    hours = value.total_seconds() / 3600
    if hours and hours % 24 == 0:
        return f"{int(hours // 24)} hari"
    return f"{hours:g} jam"


def _where(file: str, line: int) -> str:
    return f"{file}:{line}" if line else file


def sop_blocks() -> list[SopBlock]:
    from bapas_sop.checkconfig import dag_steps as _dag_steps
    from bapas_sop.checkconfig import known_steps
    from bapas_sop.descriptor import discover
    from bapas_sop.forms.overlay import overlays
    from bapas_sop.forms.registry import get_form
    from bapas_sop.office import office_steps
    from bapas_sop.policy import StepPolicy

    dag_steps = _dag_steps()
    form_overlays = overlays()
    default_policy = StepPolicy.from_config()
    blocks = []
    for sop in discover():
        office = office_steps(sop.id)
        overrides = office.steps if office else {}
        operators = {step: op for dag_id in sop.dags for step, op in dag_steps.get(dag_id, {}).items()}
        known = known_steps(sop.id, sop.dags)
        rows = []
        for step in [*operators, *(s for s in known if s not in operators)]:
            op = operators.get(step)
            written = known.get(step)
            assignee = op.assignee if op is not None else (written.assignee if written else None)
            policy = (op.policy if op is not None else None) or (default_policy if op is not None else None)
            override = overrides.get(step)
            source = _where(override.file, override.line) if override else ""
            hours = override.hours if override else {}

            def timed(key: str, attr: str, policy: Any = policy, hours: Any = hours, source: str = source,
                      op: Any = op) -> Value:
                if key in hours:
                    return Value(_hours(timedelta(hours=hours[key])), source)
                if key == "due_hours" and op is not None and op.due_at is not None:
                    return Value("dihitung SOP (aturan batas waktu)")
                return Value(_hours(getattr(policy, attr)) if policy is not None else "ditentukan SOP")

            rows.append(StepRow(
                step=step,
                form=(op.form if op is not None else (written.form if written else None)) or "-",
                assignee=(Value(override.assignee, source) if override and override.assignee else
                          Value(assignee if isinstance(assignee, str) and "{" not in assignee and not assignee.startswith("nip:")
                                else "ditentukan saat berjalan")),
                due=timed("due_hours", "due"),
                remind=timed("remind_before_hours", "remind_before"),
                escalate=timed("escalate_after_hours", "escalate_after"),
                expire=timed("expire_after_hours", "expire_after"),
                escalate_to=(Value(override.escalate_to, source) if override and override.escalate_to else
                             Value((getattr(policy, "escalate_to_role", None) or "atasan langsung") if policy is not None
                                   else "ditentukan SOP")),
            ))
        forms = []
        for module in sop.forms:
            for name in getattr(importlib.import_module(module), "FORMS", {}):
                forms.append(_form_block(get_form(name), form_overlays.get(name)))
        schedules = []
        for dag_id in sop.dags:
            if office and dag_id in office.schedules:
                schedules.append((dag_id, Value(office.schedules[dag_id], _where(office.file, office.schedule_lines.get(dag_id, 0)))))
        blocks.append(SopBlock(sop.id, sop.title, rows, forms, schedules))
    return blocks


def _form_block(spec: Any, overlay: Any) -> FormBlock:
    lines = overlay.lines if overlay else {}

    def value(text: str, *key: str) -> Value:
        return Value(text, _where(overlay.file, lines[key]) if overlay and key in lines else "")

    block = FormBlock(spec.name, value(spec.title, "title"))
    for f in spec.fields:
        choices = spec.choices_for(f, None)
        block.fields.append(FieldRow(
            name=f.name,
            label=value(f.label, f.name, "label"),
            kind=str(f.kind.value),
            required=value("wajib" if f.required else (f"wajib bila {f.required_if[0]} = {f.required_if[1]}"
                                                       if f.required_if else "tidak wajib"), f.name, "required"),
            help=value(f.help or "-", f.name, "help"),
            choices=value("; ".join(c.label for c in choices) if choices else
                          ("diisi sistem saat berjalan" if f.choices_from else "-"), f.name, "choices"),
        ))
    return block


def config_page() -> Any:
    from bapas_sop.checkconfig import check_office_folder
    from bapas_sop.office import config_dir
    from bapas_sop.web.render import render_page

    folder = config_dir()
    problems = [str(p) for p in check_office_folder(folder)]
    return render_page("admin_config.html", title="Konfigurasi SOP", sops=sop_blocks(), folder=str(folder),
                       has_office_files=(Path(folder) / "sops").is_dir() or (Path(folder) / "templates").is_dir(),
                       problems=problems)
