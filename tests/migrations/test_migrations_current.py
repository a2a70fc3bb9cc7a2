"""Each service's migrations reach exactly its models, on SQLite and on PostgreSQL."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from servicekit import migrations
from servicekit.db import make_engine
from servicekit.services import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_at_head_match_the_models(service, database):
    main = importlib.import_module(f"{service}.main")
    metadata = importlib.import_module(f"{service}.db").metadata
    migrations.upgrade(url=database.url, schema=database.schema, migrations_dir=main.MIGRATIONS_DIR)
    # Upgrading twice is harmless (the dev stack and deployments migrate on every start).
    migrations.upgrade(url=database.url, schema=database.schema, migrations_dir=main.MIGRATIONS_DIR)
    engine = make_engine(database.url, schema=database.schema)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    engine.dispose()
    assert diff == [], f"{service}: models differ from migrations; add a revision: {diff}"
