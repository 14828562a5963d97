"""Pasjam School's Alembic branch: an install at the shared schema gets exactly the models' tables,
and the branch goes down again without touching anything else."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.migrations import database_at

TABLES = {"pasjam_school_visit", "pasjam_school_observation", "pasjam_school_ranking",
          "pasjam_school_coordination", "pasjam_school_quiz_answer"}


def test_the_upgrade_creates_the_models_tables_and_the_downgrade_drops_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bapas_sop.sops.pasjam_school import models
    from bapas_sop.store import migrate
    from bapas_sop.store.db import alembic_config

    url = database_at(tmp_path, monkeypatch, "0001")
    engine = sa.create_engine(url)
    assert not TABLES & set(sa.inspect(engine).get_table_names())
    migrate(url)
    assert TABLES <= set(sa.inspect(engine).get_table_names())

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, models.Base.metadata)
                if any(t in repr(d) for t in TABLES)]
    assert diff == []

    command.downgrade(alembic_config(url), "pasjam_school@base")
    names = set(sa.inspect(engine).get_table_names())
    assert not TABLES & names and "form_request" in names
    engine.dispose()
