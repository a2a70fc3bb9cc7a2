"""The command line every service shares: `python -m <service> serve|migrate`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
import uvicorn
from uvicorn.importer import import_from_string

from servicekit import migrations
from servicekit.heap import settle_heap
from servicekit.httpserver import PassThroughBodyProtocol
from servicekit.settings import ServiceSettings


def service_cli(
    *,
    name: str,
    settings_factory: Callable[[], ServiceSettings],
    app_factory: str,
    migrations_dir: Path,
) -> typer.Typer:
    """A typer app with `serve` and `migrate`; `app_factory` is "module:function" for uvicorn."""
    cli = typer.Typer(name=name, help=f"camwatch {name} service", no_args_is_help=True)

    @cli.command()
    def migrate() -> None:
        """Bring this service's database to the latest migration."""
        settings = settings_factory()
        migrations.upgrade(
            url=settings.resolved_database_url,
            schema=settings.database_schema,
            migrations_dir=migrations_dir,
        )
        typer.echo(f"{name}: database at head")

    @cli.command()
    def serve(
        migrate_first: bool = typer.Option(True, help="run migrations before serving"),
    ) -> None:
        """Serve the API with uvicorn on the configured host and port."""
        settings = settings_factory()
        if migrate_first:
            migrate()
        app = import_from_string(app_factory)()
        settle_heap()  # the app is built: freeze it before serving
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_config=None,
            proxy_headers=True,
            http=PassThroughBodyProtocol,
        )

    return cli
