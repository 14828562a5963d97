"""Tamu Ngopi's tables come from its own migration branch, and match its models."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from tests.support.migrations import database_at

TABLES = {"tamu_ngopi_meeting", "tamu_ngopi_topic", "tamu_ngopi_participant", "tamu_ngopi_action_item"}


@pytest.fixture
def old_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A project database at the shared schema only (revision 0001): an install before Tamu Ngopi."""
    return database_at(tmp_path, monkeypatch, "0001")


def test_migrating_an_older_install_adds_the_tables_as_the_models_declare_them(old_database: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bapas_sop.sops.tamu_ngopi import models
    from bapas_sop.store import migrate

    engine = create_engine(old_database)
    assert not TABLES & set(inspect(engine).get_table_names())
    migrate(old_database)
    migrate(old_database)  # idempotent
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    ours = [d for d in diff if TABLES & {getattr(part, "name", None) for part in _parts(d)}]
    assert ours == [], ours
    engine.dispose()


def _parts(entry: object) -> list[object]:
    """The schema objects one autogenerate difference names (tables, columns, indexes)."""
    items = entry if isinstance(entry, list) else [entry]
    found: list[object] = []
    for item in items:
        for part in item[1:] if isinstance(item, tuple) else ():
            found.append(part)
            table = getattr(part, "table", None)
            if table is not None:
                found.append(table)
            if isinstance(part, str):
                found.append(type("Named", (), {"name": part})())
    return found


def test_the_flow_works_on_the_migrated_tables(old_database: str) -> None:
    from bapas_sop.sops.tamu_ngopi import flow
    from bapas_sop.store import migrate

    migrate(old_database)
    assert flow.carried_items("2026-12") == []
