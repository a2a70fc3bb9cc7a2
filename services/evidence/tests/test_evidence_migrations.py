"""The Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from evidence.db import metadata
from evidence.main import MIGRATIONS_DIR
from servicekit.db import make_engine
from servicekit.migrations import upgrade


def test_migrations_match_the_models(database: Any) -> None:
    upgrade(url=database.url, schema=database.schema, migrations_dir=MIGRATIONS_DIR)
    upgrade(url=database.url, schema=database.schema, migrations_dir=MIGRATIONS_DIR)  # idempotent
    engine = make_engine(database.url, schema=database.schema)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
