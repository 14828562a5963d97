"""An office's own folder (``BAPAS_CONFIG_DIR``): its changes to the SOPs, without forking the code.

The folder sits beside ``bapas.toml`` (by default the folder of ``BAPAS_CONFIG``)::

    <BAPAS_CONFIG_DIR>/
      bapas.toml
      sops/<sop>/forms.yaml   labels, help, options, required flags of a form's questions
                              (only the changed keys; bapas_sop.forms.overlay)
      sops/<sop>/steps.yaml   per step: assignee role, due/reminder/escalation/expiry hours,
                              escalation role; per DAG: its schedule (this module)
      templates/...           any email, page or document text, same layout as templates/

Anything not written there comes from the defaults shipped with the project.

A broken office file never breaks the running system silently. ``scripts/check-config`` (run by
``scripts/start``) refuses to start with the report. A process that is already running loads,
validates, and only then swaps: while the file is broken it keeps the last good version it read
(in memory, else the copy saved under ``<var>/konfigurasi-terakhir/``), or the defaults, and
logs the error with file and line.

Kept light on purpose: a DAG file asks for its schedule here at parse time. PyYAML and the
schema checks are imported only when an office file exists.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bapas_sop.settings import DEFAULT_CONFIG

if TYPE_CHECKING:
    from bapas_sop.configfile import YamlDocument
    from bapas_sop.policy import StepPolicy

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The hours a step override may set, and the StepPolicy attribute each one sets.
STEP_HOURS = {
    "due_hours": "due",
    "remind_before_hours": "remind_before",
    "escalate_after_hours": "escalate_after",
    "expire_after_hours": "expire_after",
}

STEPS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "steps": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "assignee": {"type": "string", "minLength": 1},
                    "escalate_to": {"type": "string", "minLength": 1},
                    **{k: {"type": "number", "minimum": 0, "maximum": 24 * 366} for k in STEP_HOURS},
                },
            },
        },
        "schedules": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
    },
}


def config_dir() -> Path:
    """``BAPAS_CONFIG_DIR``, else the folder of ``BAPAS_CONFIG``, else ``include/config``."""
    explicit = os.environ.get("BAPAS_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("BAPAS_CONFIG", DEFAULT_CONFIG)).parent


def sop_file(sop: str, name: str) -> Path:
    return config_dir() / "sops" / sop / name


def office_files(name: str) -> list[Path]:
    """Every ``sops/<sop>/<name>`` of the office folder, in a stable order."""
    root = config_dir() / "sops"
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob(f"*/{name}") if p.is_file())


def _last_good_dir() -> Path:
    return Path(os.environ.get("BAPAS_VAR_DIR", Path(DEFAULT_CONFIG).parents[2] / "var")) / "konfigurasi-terakhir"


# --- load, validate, then swap ---------------------------------------------------------------

_lock = threading.Lock()
#: (path, builder) -> (the file's stamp when read, the value built from it or from the last good version)
_cache: dict[tuple[Path, Any], tuple[tuple[int, int], Any]] = {}


def load_checked(path: Path, build: Callable[[YamlDocument], T]) -> T | None:
    """The value ``build`` makes of an office file; ``None`` when there is no file.

    Re-read when the file changes. When it is broken, the last good value is kept (or the copy
    saved when it was last good, for a process started after the break) and the error logged.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        with _lock:
            _cache.pop((path, build), None)
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get((path, build))
    if cached is not None and cached[0] == stamp:
        return cached[1]

    from bapas_sop.configfile import ConfigError, read_yaml

    try:
        text = path.read_text(encoding="utf-8")
        value = build(read_yaml(path, text))
    except Exception as exc:  # noqa: BLE001 - whatever is wrong with the file, what runs keeps running
        fallback = cached[1] if cached is not None else _from_saved_copy(path, build)
        reason = exc if isinstance(exc, ConfigError) else f"{path}: {type(exc).__name__}: {exc}."
        log.error("Berkas konfigurasi kantor tidak dipakai: %s Sistem memakai %s sampai berkas diperbaiki "
                  "(periksa dengan scripts/check-config).", reason,
                  "versi terakhir yang benar" if fallback is not None else "pengaturan bawaan",
                  exc_info=not isinstance(exc, (ConfigError, UnicodeDecodeError, OSError)))
        with _lock:
            _cache[(path, build)] = (stamp, fallback)
        return fallback
    _save_copy(path, text)
    with _lock:
        _cache[(path, build)] = (stamp, value)
    return value


def _copy_path(path: Path) -> Path:
    try:
        relative = path.resolve().relative_to(config_dir().resolve())
    except ValueError:
        relative = Path(path.name)
    return _last_good_dir() / relative


def _save_copy(path: Path, text: str) -> None:
    target = _copy_path(path)
    try:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as exc:  # a read-only var dir only loses the fallback for new processes
        log.warning("Salinan konfigurasi terakhir tidak dapat disimpan di %s: %s", target, exc)


def _from_saved_copy(path: Path, build: Callable[[YamlDocument], T]) -> T | None:
    from bapas_sop.configfile import read_yaml

    copy = _copy_path(path)
    if not copy.is_file():
        return None
    try:
        return build(read_yaml(path, copy.read_text(encoding="utf-8")))
    except Exception:  # noqa: BLE001 - a saved copy that no longer fits (a renamed step, a role gone): defaults
        return None


# --- steps.yaml: who answers a step, its times, a DAG's schedule -----------------------------


@dataclass(frozen=True)
class StepOverride:
    """What an office changes of one step; None keeps the SOP's default.

    :param line: where the step is written in the office file (for the config page).
    """

    assignee: str | None = None
    escalate_to: str | None = None
    hours: Mapping[str, float] = field(default_factory=dict)
    file: str = ""
    line: int = 0

    def apply(self, assignee: Any, policy: StepPolicy) -> tuple[Any, StepPolicy]:
        changes: dict[str, Any] = {STEP_HOURS[k]: timedelta(hours=v) for k, v in self.hours.items()}
        if self.escalate_to:
            changes["escalate_to_role"] = self.escalate_to
        return (self.assignee or assignee), (replace(policy, **changes) if changes else policy)


@dataclass(frozen=True)
class OfficeSteps:
    """One ``steps.yaml``: step overrides by step id, schedules by DAG id."""

    file: str
    steps: Mapping[str, StepOverride]
    schedules: Mapping[str, str]
    schedule_lines: Mapping[str, int] = field(default_factory=dict)


def build_steps(doc: YamlDocument) -> OfficeSteps:
    """A ``steps.yaml`` checked against its schema and the directory's roles (``ConfigError``)."""
    from bapas_sop.forms.declared import ConfigError, schema_error

    data = {} if doc.data is None else doc.data
    error = schema_error(data, STEPS_SCHEMA)
    if error is not None:
        path, message = error
        raise ConfigError(doc.file, doc.line(path), f"{_where(path)}: {message}")
    steps = {}
    for step, raw in (data.get("steps") or {}).items():
        for key in ("assignee", "escalate_to"):
            if raw.get(key):
                problem = role_problem(raw[key])
                if problem:
                    raise ConfigError(doc.file, doc.line(("steps", step, key)), f"langkah '{step}', {key}: {problem}")
        steps[str(step)] = StepOverride(
            assignee=raw.get("assignee"), escalate_to=raw.get("escalate_to"),
            hours={k: raw[k] for k in STEP_HOURS if k in raw}, file=doc.file, line=doc.line(("steps", step)),
        )
    schedules = {}
    for dag_id, cron in (data.get("schedules") or {}).items():
        problem = cron_problem(cron)
        if problem:
            raise ConfigError(doc.file, doc.line(("schedules", dag_id)), f"jadwal '{dag_id}': {problem}")
        schedules[str(dag_id)] = cron.strip()
    return OfficeSteps(doc.file, steps, schedules, {d: doc.line(("schedules", d)) for d in schedules})


def _where(path: Any) -> str:
    path = list(path)
    if len(path) >= 2 and path[0] == "steps":
        return f"langkah '{path[1]}'" + (f", kunci '{path[2]}'" if len(path) > 2 else "")
    if len(path) >= 2 and path[0] == "schedules":
        return f"jadwal '{path[1]}'"
    return f"kunci '{path[0]}'" if path else "isi berkas"


def role_problem(role: str) -> str | None:
    """Why ``role`` cannot take a step (unknown, or nobody active holds it), in Indonesian; None if fine."""
    import difflib

    from bapas_sop.directory import ROLE_TITLES, ROLES, get_directory

    if role not in ROLES:
        close = difflib.get_close_matches(role, ROLES, n=1)
        hint = f" Mungkin maksudnya '{close[0]}' ({ROLE_TITLES[close[0]]})?" if close else ""
        return (f"peran '{role}' tidak ada di daftar peran.{hint} "
                f"Peran yang ada: {', '.join(ROLES)}.")
    try:
        holders = get_directory().by_role(role, include_on_leave=True)
    except Exception as exc:  # the directory's own error (a broken staff.csv) says what to fix
        return f"daftar pegawai tidak dapat dibaca ({exc})."
    if not holders:
        return (f"tidak ada pegawai aktif dengan peran '{role}' ({ROLE_TITLES[role]}). "
                "Tambahkan peran itu pada kolom 'peran' di daftar pegawai, atau pilih peran lain.")
    return None


def cron_problem(cron: Any) -> str | None:
    if not isinstance(cron, str) or len(cron.split()) != 5:
        return (f"'{cron}' bukan jadwal cron lima bagian (menit jam tanggal bulan hari), "
                "mis. \"0 8 * * 1\" untuk setiap Senin pukul 08.00 WIB.")
    from croniter import croniter

    if not croniter.is_valid(cron):
        return f"'{cron}' bukan jadwal cron yang sah (mis. \"0 8 * * 1\" untuk setiap Senin pukul 08.00 WIB)."
    return None


def sop_of_dag(dag_id: str | None) -> str | None:
    """The SOP a DAG belongs to (its descriptor lists it), or None."""
    if not dag_id:
        return None
    from bapas_sop.descriptor import discover

    for sop in discover():
        if dag_id in sop.dags:
            return sop.id
    return None


def office_steps(sop: str) -> OfficeSteps | None:
    return load_checked(sop_file(sop, "steps.yaml"), build_steps)


def step_override(dag_id: str | None, step: str) -> StepOverride | None:
    sop = sop_of_dag(dag_id)
    steps = office_steps(sop) if sop else None
    return steps.steps.get(step) if steps else None


def effective_step(dag_id: str | None, step: str, assignee: Any, policy: StepPolicy) -> tuple[Any, StepPolicy]:
    """The assignee and policy of a step once the office's ``steps.yaml`` is applied (read at run time)."""
    override = step_override(dag_id, step)
    if override is None:
        return assignee, policy
    return override.apply(assignee, policy)


def schedule(dag_id: str, default: Any) -> Any:
    """A DAG's schedule: the office's cron (``schedules:`` of a ``steps.yaml``, WIB) or ``default``.

    Called at parse time: costs a directory check when the office has no ``sops`` folder. A broken
    file keeps the last good schedule (or the default) and never stops the DAG from parsing.
    """
    for path in office_files("steps.yaml"):
        try:
            steps = load_checked(path, _build_schedules_only)
        except Exception:  # pragma: no cover - never let an office file break a DAG's parse
            log.exception("jadwal kantor tidak dapat dibaca: %s", path)
            continue
        if steps is not None and dag_id in steps.schedules:
            from airflow.sdk import CronTriggerTimetable

            return CronTriggerTimetable(steps.schedules[dag_id], timezone="Asia/Jakarta")
    return default


def _build_schedules_only(doc: YamlDocument) -> OfficeSteps:
    """Only what a parse needs: the schedules, checked (roles are checked when a step runs)."""
    from bapas_sop.configfile import ConfigError

    data = doc.data if isinstance(doc.data, Mapping) else {}
    schedules = data.get("schedules") or {}
    if not isinstance(schedules, Mapping):
        raise ConfigError(doc.file, doc.line(("schedules",)), "kunci 'schedules' harus berisi 'id_dag: \"cron\"'.")
    for dag_id, cron in schedules.items():
        problem = cron_problem(cron)
        if problem:
            raise ConfigError(doc.file, doc.line(("schedules", dag_id)), f"jadwal '{dag_id}': {problem}")
    return OfficeSteps(doc.file, {}, {str(k): str(v).strip() for k, v in schedules.items()})
