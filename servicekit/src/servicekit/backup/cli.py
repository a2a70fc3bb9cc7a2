"""`python -m servicekit.backup create|verify|restore`: the daily backup and its restore.

The databases are found as each service finds its own (environment variables); NATS from
`NATS_URL`; key files are named on the command line and sealed under `BACKUP_PASSPHRASE`.
A schedule (compose's `backup` service, the chart's CronJob) runs `create` once a day.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from servicekit.backup import archive
from servicekit.backup.databases import BackupError, database_of
from servicekit.services import SERVICES

cli = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

ServicesOption = Annotated[
    list[str] | None, typer.Option("--service", help="only these services (default: all)")
]


def _services(chosen: list[str] | None) -> list[str]:
    unknown = sorted(set(chosen or []) - set(SERVICES))
    if unknown:
        raise typer.BadParameter(f"unknown service {', '.join(unknown)}", param_hint="--service")
    return list(chosen or SERVICES)


def _passphrase() -> str | None:
    return os.environ.get("BACKUP_PASSPHRASE") or None


def _fail(exc: BackupError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@cli.command()
def create(
    to: Annotated[Path, typer.Option("--to", help="directory receiving dated backups")],
    keys_to: Annotated[
        Path | None, typer.Option("--keys-to", help="a separate directory for sealed key files")
    ] = None,
    key_file: Annotated[
        list[Path] | None, typer.Option("--key-file", exists=True, dir_okay=False)
    ] = None,
    services: ServicesOption = None,
    streams: Annotated[bool, typer.Option(help="include the JetStream streams")] = True,
) -> None:
    """Back up every service database, the event streams and the key files, then verify."""
    plan = archive.Plan(
        databases=[database_of(s) for s in _services(services)],
        nats_url=os.environ.get("NATS_URL", "nats://127.0.0.1:4222") if streams else None,
        key_files=key_file or [],
    )
    try:
        folder = archive.create(plan, into=to, keys_into=keys_to, passphrase=_passphrase())
    except BackupError as exc:
        raise _fail(exc) from exc
    typer.echo(f"backup written and verified: {folder}")


@cli.command()
def verify(
    folder: Annotated[Path, typer.Argument(help="one backup's directory")],
    keys_dir: Annotated[Path | None, typer.Option("--keys-dir")] = None,
) -> None:
    """Check a backup's files against its manifest."""
    try:
        checked = archive.verify(folder, keys_dir=keys_dir)
    except BackupError as exc:
        raise _fail(exc) from exc
    typer.echo(f"intact: {', '.join(checked)}")


@cli.command()
def restore(
    folder: Annotated[Path, typer.Argument(help="one backup's directory")],
    services: ServicesOption = None,
    keys_dir: Annotated[Path | None, typer.Option("--keys-dir")] = None,
    keys_out: Annotated[Path | None, typer.Option("--keys-out")] = None,
    streams: Annotated[bool, typer.Option(help="republish the streams to NATS_URL")] = True,
    replace: Annotated[bool, typer.Option(help="overwrite existing databases")] = False,
) -> None:
    """Verify a backup, then restore it into the configured (empty) databases and NATS."""
    try:
        done = archive.restore(
            folder,
            targets=[database_of(s) for s in _services(services)],
            nats_url=os.environ.get("NATS_URL", "nats://127.0.0.1:4222") if streams else None,
            keys_dir=keys_dir,
            keys_out=keys_out,
            passphrase=_passphrase(),
            replace=replace,
        )
    except BackupError as exc:
        raise _fail(exc) from exc
    typer.echo(f"restored: {', '.join(done)}")
