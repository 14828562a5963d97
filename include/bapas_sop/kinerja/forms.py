"""The satisfaction survey's form (SKM): the nine elements of PermenPANRB 14/2017 and a comment."""

from __future__ import annotations

from bapas_sop.forms.registry import register_declared

SKM_FORM = "skm"


# The forms themselves are data: forms.yaml beside this file (an office overrides them in its own folder).
FORMS = register_declared(__file__)
