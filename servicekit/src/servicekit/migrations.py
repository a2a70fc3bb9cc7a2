"""Alembic migrations, driven from code: each service keeps its scripts in services/<s>/migrations.

A service's `migrations/env.py` is two lines:

    from registry.main import metadata
    from servicekit.migrations import run_env
    run_env(metadata)

`upgrade(url=..., schema=..., migrations_dir=...)` brings a database to head (the dev stack and
deployments call it through `python -m <service> migrate`); `python -m servicekit.migrations
revision services/<s> "message"` autogenerates a new revision against a scratch database.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from servicekit.db import make_engine

VERSION_TABLE = "alembic_version"


def alembic_config(*, migrations_dir: Path, url: str, schema: str | None = None) -> Config:
    """An Alembic config for a service's scripts and a target database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.attributes["url"] = url
    config.attributes["schema"] = schema
    return config


def upgrade(*, url: str, schema: str | None, migrations_dir: Path, revision: str = "head") -> None:
    """Bring the database to `revision` (idempotent: does nothing when already there)."""
    command.upgrade(alembic_config(migrations_dir=migrations_dir, url=url, schema=schema), revision)


def run_env(metadata: MetaData) -> None:
    """Body of every service's env.py: run migrations online on the configured database."""
    config = context.config
    url: str = config.attributes["url"]
    schema: str | None = config.attributes.get("schema")
    engine = make_engine(url, schema=schema)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            version_table=VERSION_TABLE,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def revision(service_dir: Path, message: str) -> None:
    """Autogenerate a revision by comparing the models with a scratch database at head."""
    migrations_dir = service_dir / "migrations"
    (migrations_dir / "versions").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.db'}"
        config = alembic_config(migrations_dir=migrations_dir, url=url)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)


app = typer.Typer(
    name="python -m servicekit.migrations",
    help="Alembic migrations of a camwatch service.",
    no_args_is_help=True,
)


@app.callback()
def _commands() -> None:
    """Keeps `revision` a named command (typer would make a lone command the whole app)."""


@app.command("revision")
def revision_command(
    service_dir: Annotated[Path, typer.Argument(help="the service, e.g. services/registry")],
    message: Annotated[str, typer.Argument(help="what the migration does")],
) -> None:
    """Autogenerate a migration for a service."""
    revision(service_dir, message)


def main() -> None:
    """`python -m servicekit.migrations revision services/<s> "message"`."""
    app()


if __name__ == "__main__":
    main()
