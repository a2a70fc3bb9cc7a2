"""`python -m access serve|migrate|bootstrap-admin|create-client|...|seed-demo`."""

from access.cli import cli

if __name__ == "__main__":
    cli()
