"""Revision pekan_disiplin_0001: an installation at the shared schema gets Pekan Disiplin's
three tables, with their one-row-per-person-and-day and sent-once constraints, and loses them
again on a downgrade of the branch."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from tests.support.migrations import database_at

TABLES = {"pekan_disiplin_week", "pekan_disiplin_day", "pekan_disiplin_crossing"}


def test_upgrade_creates_the_tables_and_downgrade_removes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    from bapas_sop.store import migrate
    from bapas_sop.store.db import alembic_config, get_engine, session_scope
    from bapas_sop.sops.pekan_disiplin.history import rows
    from bapas_sop.sops.pekan_disiplin.models import AttendanceDay, ThresholdCrossing

    url = database_at(tmp_path, monkeypatch, "0001")
    assert not TABLES & set(inspect(get_engine()).get_table_names())
    migrate(url)
    migrate(url)  # twice: nothing left to do
    assert TABLES <= set(inspect(get_engine()).get_table_names())
    assert rows() == []

    with session_scope() as session:
        session.add(AttendanceDay(week="2026-W46", nip="198607212010122003", day=date(2026, 11, 9)))
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(AttendanceDay(week="2026-W46", nip="198607212010122003", day=date(2026, 11, 9)))
    with session_scope() as session:
        session.add(ThresholdCrossing(nip="198607212010122003", year=2026, threshold="teguran_lisan", days=3,
                                      week="2026-W46"))
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(ThresholdCrossing(nip="198607212010122003", year=2026, threshold="teguran_lisan", days=4,
                                      week="2026-W47"))

    command.downgrade(alembic_config(url), "pekan_disiplin@base")
    get_engine().dispose()
    assert not TABLES & set(inspect(get_engine()).get_table_names())
