"""What ``scripts/check-config`` checks of the declared SOP files (``sops/<id>.yaml``).

Beyond reading each file with its forms (:func:`~bapas_sop.declared.spec.check_sop`): every role
it names is held by an active employee of the staff directory, and every template it names exists
(in the office's ``templates/`` or the project's). Errors are ``ConfigError``\\ s in Indonesian
naming the file and the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bapas_sop.declared import sop_files
from bapas_sop.declared.spec import REQUESTER, check_sop


def check_declared_sops(files: tuple[Path, ...] | None = None) -> list[Any]:
    from bapas_sop.configfile import ConfigError

    problems: list[Any] = []
    for path in sop_files() if files is None else files:
        try:
            sop = check_sop(path)
        except ConfigError as exc:
            problems.append(exc)
            continue
        problems += _roles(sop) + _templates(sop)
    return problems


def _roles(sop: Any) -> list[Any]:
    from bapas_sop.directory import get_directory
    from bapas_sop.configfile import ConfigError

    directory = get_directory()
    problems = []
    for i, step in enumerate(sop.steps):
        named = [(("steps", i, "assignee"), step.assignee), (("steps", i, "escalate_to"), step.escalate_to)]
        named += [(("steps", i, "notify", j, "to"), e.to) for j, e in enumerate(step.notify)]
        if step.extension is not None:
            named += [(("steps", i, "extension", "notify", j, "to"), e.to) for j, e in enumerate(step.extension.notify)]
        for where, role in named:
            if role in (None, REQUESTER):
                continue
            try:
                held = directory.by_role(role)
            except Exception as exc:  # noqa: BLE001 - the directory's DirectoryError names the roles it knows
                problems.append(ConfigError(sop.source, sop.lines.line(where),
                                            f"{exc} Periksa ejaannya, atau tulis '{REQUESTER}' untuk pemohon."))
                continue
            if held:
                continue
            problems.append(ConfigError(sop.source, sop.lines.line(where),
                                        f"peran '{role}' tidak dipegang pegawai aktif mana pun di daftar pegawai. "
                                        f"Periksa ejaannya, atau beri peran itu kepada pegawai (kolom 'peran'), "
                                        f"atau tulis '{REQUESTER}' untuk pemohon."))
    return problems


def _templates(sop: Any) -> list[Any]:
    from bapas_sop.configfile import ConfigError
    from bapas_sop.office import config_dir
    from bapas_sop.settings import TEMPLATES_DIR
    from bapas_sop.templating import template_path

    named: list[tuple[tuple[Any, ...], str, str]] = []
    if sop.intake.acknowledgement:
        named.append((("intake", "acknowledgement"), "email", sop.intake.acknowledgement))
    for i, step in enumerate(sop.steps):
        emails = [(("steps", i, "email"), step.email)] if step.email else []
        emails += [(("steps", i, "notify", j), e) for j, e in enumerate(step.notify)]
        if step.extension is not None:
            emails += [(("steps", i, "extension", "notify", j), e) for j, e in enumerate(step.extension.notify)]
        for where, email in emails:
            named.append(((*where, "template"), "email", email.template))
            if email.attach is not None:
                named.append(((*where, "attach", "template"), "documents", email.attach.template))
    problems = []
    roots = (config_dir() / "templates", TEMPLATES_DIR)
    for where, kind, name in named:
        if not any(template_path(root, kind, name + ".html").is_file() for root in roots):
            problems.append(ConfigError(sop.source, sop.lines.line(where),
                                        f"templat '{name}' tidak ditemukan: buat berkas "
                                        f"templates/{template_path('', kind, name + '.html')}."))
    return problems


__all__ = ["check_declared_sops"]
