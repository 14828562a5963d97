"""Simple SOPs declared in one YAML file each, without Python (issue 15, part 4).

Where the files are: the ones shipped with the project in ``include/config/sops/`` and an
office's own in ``$BAPAS_CONFIG_DIR/sops/`` (:func:`bapas_sop.office.config_dir`; beside the
office's ``sops/<sop>/`` folders of overrides) (an office file with the same name replaces the
shipped one). Each file becomes one DAG (``dags/sop_deklaratif.py`` through
:mod:`bapas_sop.declared.dag`), one :class:`~bapas_sop.descriptor.SopDescriptor` (so the admin
navigation, the Kinerja page and the forms registry see it like any other SOP), a public intake
page (:mod:`bapas_sop.declared.pages`) and its forms (:mod:`bapas_sop.declared.forms`).

A file with a mistake never stops the others: :func:`load_all` returns the good SOPs and, apart,
the errors of the bad files (the DAG file turns each into a DAG that says what is wrong).

Kept light: reading the files needs PyYAML only (and the forms loader's YAML reader); files are
read again only when they change (their modification times are part of the cache key).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bapas_sop.settings import PROJECT_DIR

log = logging.getLogger(__name__)

SHIPPED_DIR = PROJECT_DIR / "include" / "config" / "sops"


def sop_dirs() -> tuple[Path, ...]:
    """The folders holding SOP files: the shipped one, then the office's (which wins)."""
    from bapas_sop.office import config_dir

    office = config_dir() / "sops"
    return (SHIPPED_DIR,) if office.resolve() == SHIPPED_DIR.resolve() else (SHIPPED_DIR, office)


def sop_files() -> tuple[Path, ...]:
    """Every SOP file by name (``ppid.yaml``); an office file replaces the shipped one of that name."""
    found: dict[str, Path] = {}
    for folder in sop_dirs():
        if folder.is_dir():
            for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                if not path.name.startswith((".", "_")):
                    found[path.stem] = path
    return tuple(found[name] for name in sorted(found))


@dataclass(frozen=True)
class Loaded:
    """What the SOP files hold: the good SOPs, and each bad file's error."""

    sops: tuple  # tuple[DeclaredSop, ...]
    errors: tuple  # tuple[ConfigError, ...]


def load_all() -> Loaded:
    """Every declared SOP; a file with a mistake is reported in ``errors`` and left out."""
    files = sop_files()
    stamps = tuple((str(p), _mtime(p)) for p in files)
    return _load(stamps)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=8)
def _load(stamps: tuple[tuple[str, int], ...]) -> Loaded:
    from bapas_sop.declared.spec import load_sop

    sops, errors = [], []
    for path, _mtime_ns in stamps:
        try:
            sops.append(load_sop(path))
        except Exception as exc:  # noqa: BLE001 - a ConfigError, or a bug: that file only is left out
            log.error("SOP file %s cannot be used: %s", path, exc)
            errors.append(exc)
    return Loaded(tuple(sops), tuple(errors))


def get_declared(sop_id: str):
    """The declared SOP ``sop_id`` (KeyError when no good file declares it)."""
    for sop in load_all().sops:
        if sop.id == sop_id:
            return sop
    raise KeyError(sop_id)


def descriptors(taken: frozenset[str] = frozenset()) -> tuple:
    """A :class:`~bapas_sop.descriptor.SopDescriptor` per declared SOP whose id no SOP package has."""
    from bapas_sop.descriptor import HistorySection, NavLink, SopDescriptor

    found = []
    for sop in load_all().sops:
        if sop.id in taken:
            log.error("SOP file %s: id %r is already an SOP package; the file is ignored", sop.source, sop.id)
            continue
        found.append(SopDescriptor(
            id=sop.id,
            title=sop.title,
            summary=sop.summary,
            dags=(sop.id,),
            forms=("bapas_sop.declared.forms",),
            router=f"bapas_sop.declared.pages:routers.{sop.id}",
            figures=f"bapas_sop.declared.kinerja:figures_of.{sop.id}",
            confidential=sop.confidential,
            history=HistorySection(sop.title, f"bapas_sop.declared.history:rows_of.{sop.id}", "declared_history.html"),
            nav=(NavLink(f"Formulir {sop.title}", sop.public_path, "halaman publik untuk mengajukan permohonan.",
                         public=True, airflow_menu=True),),
        ))
    return tuple(found)


__all__ = ["Loaded", "descriptors", "get_declared", "load_all", "sop_dirs", "sop_files"]
