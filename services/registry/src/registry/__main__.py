"""`python -m registry serve|migrate|seed-demo`."""

import typer

from registry.main import MIGRATIONS_DIR
from registry.settings import Settings
from servicekit.cli import service_cli
from servicekit.db import make_engine

cli = service_cli(
    name="registry",
    settings_factory=Settings,
    app_factory="registry.main:create_app",
    migrations_dir=MIGRATIONS_DIR,
)


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Register the demo EPEs (with areas and cameras) when they are missing."""
    from registry.demo import seed_demo

    settings = Settings()
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    created = seed_demo(engine)
    engine.dispose()
    typer.echo(f"registry: demo EPEs created: {', '.join(created) or 'none (already there)'}")


if __name__ == "__main__":
    cli()
