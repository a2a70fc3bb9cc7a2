"""`python -m risk serve|migrate`."""

from servicekit.cli import service_cli
from risk.main import MIGRATIONS_DIR
from risk.settings import Settings

cli = service_cli(
    name="risk",
    settings_factory=Settings,
    app_factory="risk.main:create_app",
    migrations_dir=MIGRATIONS_DIR,
)

if __name__ == "__main__":
    cli()
