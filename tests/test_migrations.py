"""Each service's Alembic migrations build exactly the tables its models describe, on SQLite and PostgreSQL,
and applying them twice changes nothing (start-up applies them every time)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from kernel.db import sync_url
from kernel.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = {
    "engagements": ("services.engagements.models", ROOT / "services" / "engagements" / "migrations"),
    "indicateurs": ("services.indicateurs.models", ROOT / "services" / "indicateurs" / "migrations"),
    "participation": ("services.participation.models", ROOT / "services" / "participation" / "migrations"),
    "notifications": ("services.notifications.models", ROOT / "services" / "notifications" / "migrations"),
    "gateway": ("gateway.models", ROOT / "gateway" / "migrations"),
}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
@pytest.mark.parametrize("process", sorted(PROCESSES))
def test_migrations_match_the_models(process: str, backend: str, database_factory) -> None:
    module, migrations = PROCESSES[process]
    metadata = importlib.import_module(module).metadata
    url = database_factory(backend, f"mig_{process}")
    upgrade(url, migrations)
    upgrade(url, migrations)  # idempotent: every start-up runs it
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        engine.dispose()
    assert diff == [], f"{process}: models and migrations differ: {diff}"
