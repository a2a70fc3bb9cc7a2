from servicekit.backup.cli import cli

cli()
