"""Every SOP contributes its outcome figures to the Kinerja view through its descriptor."""

from __future__ import annotations

from datetime import datetime

import pytest

from bapas_sop.calendar import WIB
from bapas_sop.descriptor import Figure, discover, load

SOPS = discover()


def test_every_sop_declares_its_outcome_figures():
    missing = [sop.id for sop in SOPS if not sop.figures]
    assert not missing, f"SOPs without outcome figures for /admin/kinerja: {missing}"


@pytest.mark.parametrize("sop", [s for s in SOPS if s.figures], ids=lambda s: s.id)
def test_figures_on_an_empty_office_are_figures_not_errors(sop, project):
    figures = load(sop.figures)(datetime(2026, 11, 1, tzinfo=WIB), datetime(2026, 12, 1, tzinfo=WIB))
    assert figures and all(isinstance(f, Figure) and f.label and f.value for f in figures)


def test_share_reads_as_indonesians_write_it():
    assert Figure.share("x", 6, 7).value == "6 dari 7 (85,7%)"
    assert Figure.share("x", 0, 0).value == "-" and Figure.share("x", 0, 0).rate is None
