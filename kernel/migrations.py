"""Alembic, driven from code: each service has its own `migrations/` folder and its own database.

A service's `migrations/env.py` is two lines: import its metadata and call `run_env(metadata)`.
`python -m kernel.migrations revision services/<name> "message"` autogenerates a new revision from the one
template every process shares (`kernel/migration_script.py.mako`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, engine_from_config, pool, text

from kernel.db import is_sqlite, sync_url


def _config(database_url: str, migrations_dir: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, migrations_dir: Path) -> None:
    """Brings the database to the latest revision (idempotent)."""
    command.upgrade(_config(database_url, migrations_dir), "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's `env.py` (online mode only: migrations run against a live database)."""
    cfg = context.config
    connectable = engine_from_config(cfg.get_section(cfg.config_ini_section) or {}, prefix="sqlalchemy.",
                                     poolclass=pool.NullPool)
    url = cfg.get_main_option("sqlalchemy.url") or ""
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=is_sqlite(url), compare_type=True)
        with context.begin_transaction():
            if not is_sqlite(url):
                # Two instances starting together: the second waits here for the first's migrations (DDL is
                # transactional on PostgreSQL), then finds the database at head and does nothing.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()


MIGRATION_LOCK = 0x636476  # "cdv": one lock per database, each service having its own

TEMPLATE = Path(__file__).resolve().parent / "migration_script.py.mako"


def _revision(service_dir: str, message: str) -> None:
    migrations_dir = Path(service_dir) / "migrations"
    # Alembic reads the template from the script directory: lend it ours for the time of the command.
    template = migrations_dir / "script.py.mako"
    shutil.copyfile(TEMPLATE, template)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/autogen.db"
            upgrade(url, migrations_dir)
            command.revision(_config(url, migrations_dir), message=message, autogenerate=True)
    finally:
        template.unlink()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "revision":
        sys.exit("usage: python -m kernel.migrations revision services/<name> 'message'")
    _revision(sys.argv[2], sys.argv[3])
