"""What one SOP package tells the shared core about itself, and how the core finds them all.

Every SOP lives in ``bapas_sop.sops.<sop>`` and declares one :class:`SopDescriptor` named ``SOP``
in its ``__init__.py``. The core (forms registry, web app, admin navigation, history page,
plugin) never imports an SOP by name: it asks :func:`discover` for every descriptor, so a new
SOP is a new folder and nothing shared changes.

A descriptor names its parts by dotted path (``"bapas_sop.sops.sp2lo.pages:router"``) instead of
importing them, so reading every descriptor stays cheap (no pandas, no store, no FastAPI) in
every process that needs only the list: the scheduler loading the plugin, a DAG parse.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: Where SOP packages live; found by name so that the core holds no import of them.
SOPS_PACKAGE = "bapas_sop.sops"


@dataclass(frozen=True)
class NavLink:
    """A link in the admin navigation and on the admin index page.

    :param label: the link text, in Indonesian.
    :param path: below the app's mount point, e.g. ``/admin/litmas``.
    :param description: one line on the admin index page.
    :param public: a page for people outside (no Airflow login); listed apart on the index.
    :param airflow_menu: also shown in Airflow's own menu ("Bapas SOP").
    """

    label: str
    path: str
    description: str = ""
    public: bool = False
    airflow_menu: bool = False


@dataclass(frozen=True)
class HistorySection:
    """The SOP's section of the admin history page (``/admin/riwayat``).

    :param title: the section's name in the page's filter (``Peterpan``).
    :param rows: ``"module:function"``; called with ``limit``, returns the section's context.
    :param template: the section's page template (``peterpan/history.html``), given ``section``.
    """

    title: str
    rows: str
    template: str


@dataclass(frozen=True)
class Figure:
    """One outcome figure of an SOP for a period, as the SOP performance view shows it.

    An SOP's ``figures`` function is called as ``figures(start, end)`` (aware datetimes, the
    period ``[start, end)``) and returns a list of these, read from the SOP's own tables.

    :param label: what is counted, in Indonesian (``Litmas selesai tepat waktu``).
    :param value: the figure as shown (``12 dari 14 (85,7 %)``).
    :param rate: the figure as a fraction 0..1 where it is one (for charts and flags).
    :param detail: a breakdown as rows of text (per section, per PK), optional.
    """

    label: str
    value: str
    rate: float | None = None
    detail: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def share(cls, label: str, part: int, whole: int, detail: tuple[tuple[str, ...], ...] = ()) -> Figure:
        """``part`` of ``whole`` with its rate: ``12 dari 14 (85,7%)``; ``-`` when ``whole`` is 0."""
        if not whole:
            return cls(label, "-", None, detail)
        from bapas_sop.documents import percent_id

        rate = part / whole
        return cls(label, f"{part} dari {whole} ({percent_id(rate)})", rate, detail)

    @classmethod
    def count(cls, label: str, number: int, detail: tuple[tuple[str, ...], ...] = ()) -> Figure:
        return cls(label, str(number), None, detail)


@dataclass(frozen=True)
class SopDescriptor:
    """One SOP as the shared core sees it.

    :param id: the package name and the key in URLs and config (``gaji_umr``).
    :param title: the SOP's name as the decree gives it (``Gaji UMR``).
    :param summary: one Indonesian sentence on what the SOP does.
    :param dags: the DAG ids of this SOP (its main DAG first).
    :param forms: modules that register the SOP's :class:`~bapas_sop.forms.spec.FormSpec`\\ s.
    :param router: ``"module:function"`` building the SOP's own pages; called with a
        :class:`WebContext`, returns a FastAPI ``APIRouter`` mounted at the app's root.
    :param nav: links to the SOP's pages.
    :param history: its section of the history page, if it keeps a history.
    :param confidential: its records are confidential (complaints): the shared admin pages
        (open steps, audit trail, outbox) show its steps and emails without the names,
        addresses or answers of people outside the directory; the SOP's own pages decide the rest.
    :param figures: ``"module:function"`` giving the SOP's outcome figures for a period as a list
        of :class:`Figure` (read by the SOP performance view, ``/admin/kinerja``).
    """

    id: str
    title: str
    summary: str
    dags: tuple[str, ...]
    forms: tuple[str, ...] = ()
    router: str | None = None
    nav: tuple[NavLink, ...] = ()
    history: HistorySection | None = None
    figures: str | None = None
    confidential: bool = False


@dataclass(frozen=True)
class WebContext:
    """What the web app hands an SOP's router: the admin check and the app's services.

    :param admin: FastAPI dependency of the admin pages (Airflow's login by default).
    :param deliver: sends queued outbox keys now; a failure leaves them for the sweep.
    :param start_run: starts a DAG run: ``start_run(dag_id, run_id, conf)``.
    """

    admin: Callable[..., Any]
    deliver: Callable[[list[str]], Any]
    start_run: Callable[[str, str, dict[str, Any]], Any]
    extra: dict[str, Any] = field(default_factory=dict)


def load(target: str) -> Any:
    """The object named by ``"package.module:attribute"``."""
    module, _, attribute = target.partition(":")
    value = importlib.import_module(module)
    for part in attribute.split(".") if attribute else ():
        value = getattr(value, part)
    return value


@lru_cache(maxsize=1)
def discover() -> tuple[SopDescriptor, ...]:
    """Every SOP package's descriptor and every declared SOP's, in a stable order (by id)."""
    spec = importlib.util.find_spec(SOPS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return ()
    found = []
    for info in sorted(pkgutil.iter_modules(spec.submodule_search_locations), key=lambda i: i.name):
        if not info.ispkg or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{SOPS_PACKAGE}.{info.name}")
        descriptor = getattr(module, "SOP", None)
        if not isinstance(descriptor, SopDescriptor):
            raise TypeError(f"{SOPS_PACKAGE}.{info.name} declares no SOP = SopDescriptor(...)")
        if descriptor.id != info.name:
            raise ValueError(f"{SOPS_PACKAGE}.{info.name}: descriptor id {descriptor.id!r} differs from its package")
        found.append(descriptor)
    # SOPs declared in one YAML file each (bapas_sop.declared): a broken file is logged and left
    # out there, so that it never hides the other SOPs.
    from bapas_sop.declared import descriptors as declared_descriptors

    found.extend(declared_descriptors(frozenset(d.id for d in found)))
    return tuple(sorted(found, key=lambda d: d.id))


def get_sop(sop_id: str) -> SopDescriptor:
    for descriptor in discover():
        if descriptor.id == sop_id:
            return descriptor
    raise KeyError(sop_id)


def confidential_dags() -> frozenset[str]:
    """The DAG ids of every SOP whose records are confidential."""
    return frozenset(dag_id for d in discover() if d.confidential for dag_id in d.dags)


def form_modules() -> tuple[str, ...]:
    """Every SOP's form modules."""
    return tuple(module for d in discover() for module in d.forms)


def nav_links() -> tuple[NavLink, ...]:
    return tuple(link for d in discover() for link in d.nav)


__all__ = [
    "Figure",
    "HistorySection",
    "NavLink",
    "SopDescriptor",
    "WebContext",
    "confidential_dags",
    "discover",
    "form_modules",
    "get_sop",
    "load",
    "nav_links",
]
