"""`python -m servicekit.backup create|verify|restore`: the daily backup and its restore.

The databases are found as each service finds its own (environment variables); NATS from
`NATS_URL`; key files are named on the command line and sealed under `BACKUP_PASSPHRASE`.
A schedule (compose's `backup` service, the chart's CronJob) runs `create` once a day.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from servicekit.backup import archive, schedule
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


KeepDaysOption = Annotated[
    int | None,
    typer.Option("--keep-days", min=1, help="then delete backups older than this many days"),
]
ToOption = Annotated[Path, typer.Option("--to", help="directory receiving dated backups")]
KeysToOption = Annotated[
    Path | None, typer.Option("--keys-to", help="a separate directory for sealed key files")
]
KeyFileOption = Annotated[
    list[Path] | None, typer.Option("--key-file", exists=True, dir_okay=False)
]
StreamsOption = Annotated[bool, typer.Option(help="include the JetStream streams")]


def _create(
    *,
    to: Path,
    keys_to: Path | None,
    key_file: list[Path] | None,
    services: list[str] | None,
    streams: bool,
    keep_days: int | None,
) -> Path:
    plan = archive.Plan(
        databases=[database_of(s) for s in _services(services)],
        nats_url=os.environ.get("NATS_URL", "nats://127.0.0.1:4222") if streams else None,
        key_files=key_file or [],
    )
    folder = archive.create(plan, into=to, keys_into=keys_to, passphrase=_passphrase())
    typer.echo(f"backup written and verified: {folder}")
    if keep_days is not None:
        removed = schedule.prune(
            to, keys_into=keys_to, keep_days=keep_days, now=datetime.now(UTC), keep=folder
        )
        if removed:
            typer.echo(f"older than {keep_days} days, deleted: {', '.join(removed)}")
    return folder


@cli.command()
def create(
    to: ToOption,
    keys_to: KeysToOption = None,
    key_file: KeyFileOption = None,
    services: ServicesOption = None,
    streams: StreamsOption = True,
    keep_days: KeepDaysOption = None,
) -> None:
    """Back up every service database, the event streams and the key files, then verify."""
    try:
        _create(
            to=to,
            keys_to=keys_to,
            key_file=key_file,
            services=services,
            streams=streams,
            keep_days=keep_days,
        )
    except BackupError as exc:
        raise _fail(exc) from exc


@cli.command()
def daily(
    to: ToOption,
    at: Annotated[str, typer.Option("--at", help="time of day, HH:MM UTC")] = "19:00",
    keys_to: KeysToOption = None,
    key_file: KeyFileOption = None,
    services: ServicesOption = None,
    streams: StreamsOption = True,
    keep_days: KeepDaysOption = 30,
    runs: Annotated[
        int | None, typer.Option("--runs", min=1, help="stop after this many (default: never)")
    ] = None,
) -> None:
    """Run `create` every day at `--at` (UTC; 19:00 is 02:00 in Vietnam), pruning old backups:
    the schedule of compose's `backup` service. A failed run is reported and retried the next
    day; the process itself keeps running."""
    try:
        when = schedule.parse_at(at)
    except BackupError as exc:
        raise typer.BadParameter(str(exc), param_hint="--at") from exc
    done = failed = 0
    while runs is None or done + failed < runs:
        due = schedule.next_run(datetime.now(UTC), when)
        typer.echo(f"next backup at {due.isoformat()}")
        time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        try:
            _create(
                to=to,
                keys_to=keys_to,
                key_file=key_file,
                services=services,
                streams=streams,
                keep_days=keep_days,
            )
            done += 1
        except Exception as exc:  # any failure is reported and retried tomorrow
            failed += 1
            typer.echo(f"error: backup failed, next attempt tomorrow: {exc}", err=True)
    if failed:
        raise typer.Exit(1)


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
