"""`python -m incidents serve|migrate`."""

from incidents.main import MIGRATIONS_DIR
from incidents.settings import Settings
from servicekit.cli import service_cli

cli = service_cli(
    name="incidents",
    settings_factory=Settings,
    app_factory="incidents.main:create_app",
    migrations_dir=MIGRATIONS_DIR,
)

if __name__ == "__main__":
    cli()
