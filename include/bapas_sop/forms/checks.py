"""Named checks: the code a declared form (YAML) refers to by name.

A form in YAML cannot hold code, so what needs code has a name here:

- a **cross-field check** ``(values) -> {field: Indonesian message}``, run when every field is
  valid on its own (``checks: [sp2lo_tanggal_perjalanan]`` in the form);
- a **date bound** ``() -> date``, read each time a form is checked (``earliest: today``, or a
  bound read from the office's ``bapas.toml``).

The core registers only what every SOP may use (``today``). An SOP registers its own in its
package (``sops/<sop>/forms.py``) before it loads its YAML, so the core never imports an SOP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from bapas_sop.textid import WIB

Check = Callable[[Mapping[str, Any]], Mapping[str, str]]
Bound = Callable[[], date]

_CHECKS: dict[str, Check] = {}
_BOUNDS: dict[str, Bound] = {}

F = TypeVar("F", bound=Callable[..., Any])


def _register(table: dict[str, Any], kind: str, name: str) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        existing = table.get(name)
        # Re-importing a module (tests, reload) registers the same function again: fine.
        if existing is not None and _origin(existing) != _origin(function):
            raise ValueError(f"two different {kind}s named {name!r}")
        table[name] = function
        return function

    return decorate


def _origin(function: Callable[..., Any]) -> tuple[str, str]:
    return getattr(function, "__module__", ""), getattr(function, "__qualname__", "")


def named_check(name: str) -> Callable[[F], F]:
    """Register a cross-field check under ``name`` (used as a decorator)."""
    return _register(_CHECKS, "check", name)


def named_bound(name: str) -> Callable[[F], F]:
    """Register a date bound under ``name`` for ``earliest``/``latest`` (used as a decorator)."""
    return _register(_BOUNDS, "date bound", name)


def get_check(name: str) -> Check:
    return _CHECKS[name]


def get_bound(name: str) -> Bound:
    return _BOUNDS[name]


def check_names() -> list[str]:
    return sorted(_CHECKS)


def bound_names() -> list[str]:
    return sorted(_BOUNDS)


def name_of(function: Callable[..., Any]) -> str | None:
    """The name a function is registered under (a check or a bound), for the config page and dumps."""
    for table in (_CHECKS, _BOUNDS):
        for name, registered in table.items():
            if registered is function:
                return name
    return None


@named_bound("today")
def today() -> date:
    """Today in Jakarta, when the form is checked."""
    return datetime.now(WIB).date()
