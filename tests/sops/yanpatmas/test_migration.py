"""Revision yanpatmas_0001: a database at the shared schema gets the complaints table, whose
columns are exactly the model's, and downgrades without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.support.migrations import database_at


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return database_at(tmp_path, monkeypatch, "0001")


def test_the_branch_creates_the_models_table_and_drops_it_again(old_database: str):
    from alembic import command

    from bapas_sop.sops.yanpatmas.models import Complaint
    from bapas_sop.store import migrate
    from bapas_sop.store.db import alembic_config

    engine = create_engine(old_database)
    assert "yanpatmas_complaint" not in inspect(engine).get_table_names()
    migrate(old_database)
    columns = {c["name"] for c in inspect(engine).get_columns("yanpatmas_complaint")}
    assert columns == {c.name for c in Complaint.__table__.columns}
    command.downgrade(alembic_config(old_database), "yanpatmas@base")
    assert "yanpatmas_complaint" not in inspect(create_engine(old_database)).get_table_names()
    engine.dispose()
