"""Field choices shared by several SOPs' forms."""

from __future__ import annotations

from bapas_sop.forms.spec import Choice

YES_NO_CHOICES = (Choice("ya", "Ya"), Choice("tidak", "Tidak"))
