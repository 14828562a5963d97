"""Engine, sessions and migrations of the project's database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bapas_sop.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            # WAL lets the web app read while a task writes; several processes share the file.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def get_engine() -> Engine:
    return _engine_for(get_settings().db_url)


@lru_cache(maxsize=8)
def _sessionmaker_for(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=_engine_for(url), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    session = _sessionmaker_for(get_settings().db_url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def upsert_dialect_insert(session: Session):
    """``insert`` of the session's dialect, whose statements have ``on_conflict_do_nothing``
    (SQLite and PostgreSQL, the project's two databases)."""
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert


def insert_or_get(session: Session, model: type[Any], where: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    """The row of ``model`` matching ``where`` (a unique key), inserted with ``values`` when missing.

    ``INSERT .. ON CONFLICT DO NOTHING`` then a read, not a SAVEPOINT around a plain INSERT (see
    ``outbox._insert_once``): two tries of a task writing the same row at once, or a retry,
    end up with the one row, and the caller's transaction is never committed early.
    """
    stmt = select(model).filter_by(**where)
    row = session.scalars(stmt).first()
    if row is not None:
        return row
    insert = upsert_dialect_insert(session)
    statement = insert(model).values(**where, **values).on_conflict_do_nothing(index_elements=list(where))
    return session.scalars(statement.returning(model)).first() or session.scalars(stmt).one()


def migration_locations() -> list[Path]:
    """The shared schema's versions, then each SOP's own (``bapas_sop/sops/<sop>/migrations``).

    Each SOP's tables are an Alembic branch of their own (``branch_labels = ("<sop>",)``,
    ``depends_on = "0001"``), so a new SOP adds its migrations in its folder and nothing shared.
    """
    import importlib.util

    from bapas_sop.descriptor import SOPS_PACKAGE, discover

    locations = [MIGRATIONS_DIR / "versions"]
    spec = importlib.util.find_spec(SOPS_PACKAGE)
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    for sop in discover():
        for root in roots:
            folder = root / sop.id / "migrations"
            if folder.is_dir():
                locations.append(folder)
    return locations


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic splits this option on the path separator; a space would break paths with spaces.
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in migration_locations()))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().db_url).replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the database to the newest schema (idempotent)."""
    from alembic import command

    url = url or get_settings().db_url
    _engine_for(url)  # creates the SQLite file's folder
    command.upgrade(alembic_config(url), "heads")
