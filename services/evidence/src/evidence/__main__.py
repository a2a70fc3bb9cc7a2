"""`python -m evidence serve|migrate|verify|download|public-key`."""

from evidence.cli_verify import add_commands
from evidence.main import MIGRATIONS_DIR
from evidence.settings import Settings
from servicekit.cli import service_cli

cli = service_cli(
    name="evidence",
    settings_factory=Settings,
    app_factory="evidence.main:create_app",
    migrations_dir=MIGRATIONS_DIR,
)
add_commands(cli)

if __name__ == "__main__":
    cli()
