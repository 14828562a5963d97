"""A project database at an older revision: what an upgraded install starts from."""

from __future__ import annotations

from pathlib import Path

import pytest


def database_at(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, revision: str = "0001") -> str:
    """Migrate a fresh project database (where the ``project`` fixture puts it) to ``revision``
    only, point the project at it, and return its URL; ``bapas_sop.store.migrate(url)`` then
    plays the upgrade."""
    from alembic import command

    from bapas_sop.store.db import alembic_config

    var = tmp_path / "var"
    url = f"sqlite:///{var / 'bapas.db'}"
    monkeypatch.setenv("BAPAS_VAR_DIR", str(var))
    monkeypatch.setenv("BAPAS_DB_URL", url)
    monkeypatch.setenv("BAPAS_MAILDIR", str(var / "mail"))
    var.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
    return url
