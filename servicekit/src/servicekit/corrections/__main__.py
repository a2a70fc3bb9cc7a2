from servicekit.corrections.cli import cli

cli()
