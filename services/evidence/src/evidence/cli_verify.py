"""`python -m evidence verify|download|public-key`: the verifier and its inputs from a shell."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlmodel import Session

from evidence.packages.dsse import Signer, load_public_pem, public_pem
from evidence.packages.models import Package
from evidence.settings import Settings
from evidence.storage import evidence_store
from evidence.verifier import Report, download, verify_directory, verify_stored
from servicekit.db import make_engine


def _stored_package(settings: Settings, package_id: str) -> Package:
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    try:
        with Session(engine) as session:
            package = session.get(Package, package_id)
            if package is None:
                raise typer.BadParameter(f"no package {package_id!r}", param_hint="TARGET")
            session.expunge(package)
            return package
    finally:
        engine.dispose()


def _print(report: Report) -> None:
    typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    for finding in report.findings:
        typer.echo(f"{finding.kind}: {finding.file or '-'}: {finding.detail}", err=True)
    if not report.ok:
        raise typer.Exit(1)


def add_commands(cli: typer.Typer, settings_factory: type[Settings] = Settings) -> None:
    """Add the evidence commands to the service's CLI."""

    @cli.command("verify")
    def verify_command(
        target: str = typer.Argument(..., help="a package directory, or a stored package's id"),
        public_key: Path | None = typer.Option(
            None,
            "--public-key",
            help="PEM of the evidence key (GET /signing-key); required "
            "for a directory, defaults to the service's key for a stored package",
        ),
    ) -> None:
        """Check a package's signature, completeness and every file's SHA-256; exit 1 and
        name each problem if anything is wrong."""
        directory = Path(target)
        if directory.is_dir():
            if public_key is None:
                raise typer.BadParameter("give the public key", param_hint="--public-key")
            _print(verify_directory(directory, load_public_pem(public_key.read_bytes())))
            return
        settings = settings_factory()
        public = (
            load_public_pem(public_key.read_bytes())
            if public_key is not None
            else Signer(settings.signing_key.get_secret_value().encode()).public
        )
        package = _stored_package(settings, target)
        _print(verify_stored(evidence_store(settings), package, public))

    @cli.command("download")
    def download_command(package_id: str, directory: Path) -> None:
        """Write a stored package where the offline verifier reads it."""
        settings = settings_factory()
        package = _stored_package(settings, package_id)
        names = download(evidence_store(settings), package, directory)
        typer.echo(f"{len(names)} files and the signed manifest in {directory}")

    @cli.command("public-key")
    def public_key_command() -> None:
        """Print the evidence public key (PEM)."""
        settings = settings_factory()
        typer.echo(public_pem(Signer(settings.signing_key.get_secret_value().encode()).public))
