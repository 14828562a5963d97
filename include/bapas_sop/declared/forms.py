"""The forms of every declared SOP, built by the forms loader and registered by name.

Importing this module registers them (every declared SOP's descriptor names it in ``forms``,
as an SOP package names its forms module). The forms are built by
:func:`bapas_sop.declared.spec.forms_of` (with each extended round's form).
"""

from __future__ import annotations

import logging

from bapas_sop.declared import load_all
from bapas_sop.declared.spec import ConfigError, forms_of
from bapas_sop.forms.registry import register

log = logging.getLogger(__name__)


def _register_all() -> None:
    for sop in load_all().sops:
        try:
            register(*forms_of(sop).values())
        except ConfigError as exc:  # a bad form leaves that SOP's steps without it, not the others
            log.error("SOP file %s: its forms cannot be used: %s", sop.source, exc)


_register_all()

