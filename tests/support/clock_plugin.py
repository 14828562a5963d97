"""``-p tests.support.clock_plugin``: every test of the run on the pinned clock of ``clock.py``.

The scenarios pin the clock themselves (``tests/sops/conftest.py``); this plugin lets any other
part of the suite be run on a chosen day to see whether it depends on the date, e.g.
``BAPAS_TEST_DATE=2026-12-31T23:30 .venv/bin/python -m pytest -p tests.support.clock_plugin tests/web``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.support.clock import pinned_clock


@pytest.fixture(autouse=True)
def pinned_day() -> Iterator[datetime]:
    with pinned_clock() as start:
        yield start
