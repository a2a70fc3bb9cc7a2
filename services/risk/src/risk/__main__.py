"""`python -m risk serve|migrate`."""

from risk.main import MIGRATIONS_DIR
from risk.settings import Settings
from servicekit.cli import service_cli

cli = service_cli(
    name="risk",
    settings_factory=Settings,
    app_factory="risk.main:create_app",
    migrations_dir=MIGRATIONS_DIR,
)

if __name__ == "__main__":
    cli()
