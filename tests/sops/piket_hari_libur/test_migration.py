"""Revision piket_hari_libur_0001: an install at the shared schema gains the SOP's tables, exactly as the models say."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from tests.support.migrations import database_at


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return database_at(tmp_path, monkeypatch, "0001")


def test_the_upgrade_creates_the_tables_the_models_describe(old_database: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bapas_sop.sops.piket_hari_libur import models
    from bapas_sop.store import migrate
    from bapas_sop.store.models import Base

    engine = create_engine(old_database)
    assert "piket_hari_libur_duty" not in inspect(engine).get_table_names()
    migrate(old_database)
    ours = {t for t in Base.metadata.tables if t.startswith("piket_hari_libur_")}
    assert ours == {"piket_hari_libur_roster", "piket_hari_libur_duty", "piket_hari_libur_handover", "piket_hari_libur_log"}
    assert models.__all__
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = [d for d in diff if "piket_hari_libur" in repr(d)]
    assert mine == [], mine
