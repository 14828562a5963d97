"""Alembic environment of the project's database."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from bapas_sop.store.models import Base

config = context.config


def _import_sop_models() -> None:
    """Every SOP's ``models`` module, so that autogenerate sees its tables on ``Base``."""
    import importlib
    import importlib.util

    from bapas_sop.descriptor import SOPS_PACKAGE, discover

    importlib.import_module("bapas_sop.declared.models")  # the requests of every declared SOP
    for sop in discover():
        if importlib.util.find_spec(f"{SOPS_PACKAGE}.{sop.id}") is None:
            continue  # a declared SOP (one YAML file) has no package of its own
        name = f"{SOPS_PACKAGE}.{sop.id}.models"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


_import_sop_models()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            version_table="bapas_alembic_version",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
