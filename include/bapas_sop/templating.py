"""Where a template name is found: the shared layouts, or one SOP's own folder.

Every text a person reads lives under ``templates/``: the shared layouts of each kind at
``templates/<kind>/`` (``email``, ``documents``, ``pages``) and each SOP's texts at
``templates/<sop>/<kind>/``. A name with a slash (``sp2lo/pengingat``) is a SOP's template; a
name without one (``base.html``, ``form_request``) is shared. A SOP's template still extends the
shared ``base.html`` of its kind by that plain name, so an SOP folder holds only its own texts.

The core never names an SOP here: the first path segment is all it needs, so a new SOP adds
its folder and nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, TemplateNotFound, TemplateSyntaxError

log = logging.getLogger(__name__)


class SopTemplateLoader(BaseLoader):
    """Finds ``<sop>/<name>`` in ``<root>/<sop>/<kind>/`` and any other name in ``<root>/<kind>/``.

    :param root: the ``templates`` directory.
    :param kind: ``email``, ``documents`` or ``pages``.
    """

    def __init__(self, root: Path | str, kind: str) -> None:
        self.root = Path(root)
        self.kind = kind
        self._shared = FileSystemLoader(str(self.root / kind))

    @classmethod
    def for_directory(cls, directory: Path | str) -> SopTemplateLoader:
        """The loader whose shared layouts are ``directory`` (``templates/email``...)."""
        path = Path(directory)
        return cls(path.parent, path.name)

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        """The office's own version of ``template`` (``<BAPAS_CONFIG_DIR>/templates/``, same layout) if it
        has one that compiles, else the project's. A changed, added or removed office file is seen
        on the next render."""
        office = office_templates_dir()
        if office is not None:
            found = _office_source(environment, SopTemplateLoader(office, self.kind), template)
            if found is not None:
                source, filename, uptodate = found
                return source, filename, lambda: office_templates_dir() == office and bool(uptodate and uptodate())
        source, filename, uptodate = self._project_source(environment, template)
        watched = template_path(office, self.kind, template) if office is not None else None

        def still_current() -> bool:
            if office_templates_dir() != office or (watched is not None and watched.is_file()):
                return False
            return uptodate() if uptodate else True

        return source, filename, still_current

    def _project_source(self, environment: Environment, template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        sop, slash, rest = template.partition("/")
        if not slash or sop in ("", ".", ".."):
            return self._shared.get_source(environment, template)
        try:
            return FileSystemLoader(str(self.root / sop / self.kind)).get_source(environment, rest)
        except TemplateNotFound:
            raise TemplateNotFound(template) from None

    def list_templates(self) -> list[str]:
        names = list(self._shared.list_templates())
        for folder in sorted(p for p in self.root.iterdir() if (p / self.kind).is_dir() and p.name != self.kind):
            names += [f"{folder.name}/{n}" for n in FileSystemLoader(str(folder / self.kind)).list_templates()]
        return names


def office_templates_dir() -> Path | None:
    """The office's ``templates`` folder (beside its ``bapas.toml``), when it has one."""
    from bapas_sop.office import config_dir

    folder = config_dir() / "templates"
    return folder if folder.is_dir() else None


def _office_source(environment: Environment, loader: SopTemplateLoader,
                   template: str) -> tuple[str, str | None, Callable[[], bool] | None] | None:
    try:
        found = loader._project_source(environment, template)
    except TemplateNotFound:
        return None
    try:
        environment.parse(found[0], template, found[1])
    except TemplateSyntaxError as exc:
        # A running system keeps working: the project's text is used and the mistake is logged
        # (scripts/check-config reports it with its line before a start).
        log.error("Template kantor %s tidak dipakai (baris %s: %s); memakai template bawaan.", found[1], exc.lineno, exc.message)
        return None
    return found


def template_path(root: Path | str, kind: str, template: str) -> Path:
    """The file a template name stands for (used by checks that a DAG's templates exist)."""
    sop, slash, rest = template.partition("/")
    return Path(root) / sop / kind / rest if slash else Path(root) / kind / template


__all__: list[Any] = ["SopTemplateLoader", "office_templates_dir", "template_path"]
