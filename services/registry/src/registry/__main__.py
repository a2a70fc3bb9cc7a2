"""`python -m registry serve|migrate`."""

from registry.main import MIGRATIONS_DIR
from registry.settings import Settings
from servicekit.cli import service_cli

cli = service_cli(
    name="registry",
    settings_factory=Settings,
    app_factory="registry.main:create_app",
    migrations_dir=MIGRATIONS_DIR,
)

if __name__ == "__main__":
    cli()
