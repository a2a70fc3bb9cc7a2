"""`python -m access ...`: serve, migrate, and the operators' commands."""

from __future__ import annotations

import getpass
import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import pyotp
import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from access.audit import service as audit
from access.audit.anchoring import anchor, read_anchors
from access.authority import service as authority
from access.clients import service as clients
from access.clients.models import ClientKind
from access.context import AuditContext
from access.crypto.keyring import FileKeyring, KeyringError, is_rotatable
from access.keys import service as signing
from access.keys.rewrap import rewrap_all, sealed_counts
from access.keys.rewrap import rotate_master_key as rotate_master_key_everywhere
from access.main import MIGRATIONS_DIR
from access.officers import service as officers
from access.runtime import Runtime, build_runtime
from access.seed import seed_demo
from access.settings import Settings
from access.signin import enrollment
from servicekit import migrations
from servicekit.auth import Role
from servicekit.cli import service_cli
from servicekit.db import make_engine
from servicekit.errors import Problem

cli = service_cli(
    name="access",
    settings_factory=Settings,
    app_factory="access.main:create_app",
    migrations_dir=MIGRATIONS_DIR,
)


def _context(command: str) -> AuditContext:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return AuditContext.system(f"cli:{who}:{command}")


@contextmanager
def _open(*, migrate: bool = True) -> Iterator[tuple[Session, Runtime]]:
    settings = Settings()
    if migrate:
        migrations.upgrade(
            url=settings.resolved_database_url,
            schema=settings.database_schema,
            migrations_dir=MIGRATIONS_DIR,
        )
    runtime = build_runtime(settings)
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    audit.bind_key(engine, runtime.chain_key)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session, runtime
    except Problem as problem:
        typer.echo(f"error: {problem.detail or problem.title}", err=True)
        raise typer.Exit(2) from None
    except KeyringError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


@cli.command("init-keyring")
def init_keyring() -> None:
    """Create the master keyring file (mode 0600) if it does not exist yet."""
    settings = Settings()
    if settings.master_keys is not None:
        typer.echo("the keyring comes from ACCESS_MASTER_KEYS; nothing to create")
        return
    existed = settings.master_key_file.exists()
    keyring = FileKeyring(settings.master_key_file, create=True)
    state = "exists" if existed else "created"
    typer.echo(
        f"keyring {state}: {settings.master_key_file} (current version {keyring.current_version()})"
    )


@cli.command("bootstrap-admin")
def bootstrap_admin(
    username: Annotated[str, typer.Option(help="login name, e.g. le.van.c")],
    full_name: Annotated[str, typer.Option(help="the person's full name")],
    unit: Annotated[str, typer.Option(help="customs unit code, e.g. HQ-KCX-BN")],
    unit_name: Annotated[str, typer.Option(help="the unit's name (created if missing)")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create the first program user administrator (refused once one exists)."""
    with _open() as (session, runtime):
        now = runtime.clock.now()
        context = _context("bootstrap-admin")
        for user in officers.list_users(session, unit=None, after=None, limit=100000):
            if authority.holds(session, user, Role.USER_ADMINISTRATOR):
                typer.echo(f"error: {user.username} is already a user administrator", err=True)
                raise typer.Exit(1)
        officers.ensure_unit(session, code=unit, name=unit_name, now=now)
        secret = pyotp.random_base32()
        user = enrollment.provision_officer(
            session,
            username=username,
            full_name=full_name,
            unit=unit,
            password=password,
            totp_secret_value=secret,
            runtime=runtime,
            context=context,
            now=now,
        )
        authority.grant_directly(
            session,
            user=user,
            role=Role.USER_ADMINISTRATOR,
            approved_by=context.actor,
            reason="bootstrap of the first user administrator",
            context=context,
            now=now,
        )
        session.commit()
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=username, issuer_name=runtime.settings.totp_issuer
        )
        typer.echo(f"user administrator {username} created in {unit}")
        typer.echo(f"TOTP secret (load it into the authenticator now; shown once): {secret}")
        typer.echo(f"provisioning URI: {uri}")


@cli.command("appoint-head")
def appoint_head(
    username: Annotated[str, typer.Option()],
    reason: Annotated[str, typer.Option(help="the appointment decision, e.g. its number")],
) -> None:
    """Appoint the first head of a unit (later heads go through prepare/approve)."""
    with _open() as (session, runtime):
        now = runtime.clock.now()
        user = officers.find_by_username(session, username)
        if user is None:
            typer.echo(f"error: no officer {username}", err=True)
            raise typer.Exit(1)
        for other in officers.list_users(session, unit=user.unit, after=None, limit=100000):
            if authority.holds(session, other, Role.HEAD_OF_SUBDEPARTMENT):
                typer.echo(
                    f"error: {user.unit} already has a head ({other.username}); "
                    "prepare a request for that head to approve",
                    err=True,
                )
                raise typer.Exit(1)
        context = _context("appoint-head")
        authority.grant_directly(
            session,
            user=user,
            role=Role.HEAD_OF_SUBDEPARTMENT,
            approved_by=context.actor,
            reason=reason,
            context=context,
            now=now,
        )
        session.commit()
        typer.echo(f"{username} is head of {user.unit}")


@cli.command("create-client")
def create_client(
    client_id: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    kind: Annotated[ClientKind, typer.Option()],
    epe_id: Annotated[str | None, typer.Option(help="EPE vendor clients: the EPE")] = None,
    unit: Annotated[str | None, typer.Option(help="EPE vendor clients: its customs unit")] = None,
    shell: Annotated[
        bool,
        typer.Option(
            "--shell",
            help='print `export CLIENT_ID=... CLIENT_SECRET=...` lines for `eval "$(...)"`',
        ),
    ] = False,
) -> None:
    """Register a machine client and print its secret (the only time it is shown).

    With --shell only shell-quoted `export` lines go to stdout, so a walkthrough or a script
    takes the secret without copying it by hand.
    """
    if kind is ClientKind.EPE_VENDOR and (not epe_id or not unit):
        typer.echo("error: an EPE vendor client needs --epe-id and --unit", err=True)
        raise typer.Exit(1)
    with _open() as (session, runtime):
        _, secret = clients.create_client(
            session,
            client_id=client_id,
            name=name,
            kind=kind,
            epe_id=epe_id,
            unit=unit,
            runtime=runtime,
            context=_context("create-client"),
            now=runtime.clock.now(),
        )
        session.commit()
        if shell:
            typer.echo(f"export CLIENT_ID={shlex.quote(client_id)}")
            typer.echo(f"export CLIENT_SECRET={shlex.quote(secret)}")
            typer.echo("store the secret now: only its hash is kept", err=True)
            return
        typer.echo(f"client_id={client_id}")
        typer.echo(f"client_secret={secret}")
        typer.echo("store the secret now: only its hash is kept")


@cli.command("rotate-signing-key")
def rotate_signing_key(
    activate_in: Annotated[int | None, typer.Option(help="seconds of pre-publication")] = None,
) -> None:
    """Add a new token signing key; older keys stay published until their tokens expire."""
    with _open() as (session, runtime):
        now = runtime.clock.now()
        row = signing.rotate(session, runtime=runtime, now=now, activate_in=activate_in)
        audit.record(
            session,
            context=_context("rotate-signing-key"),
            action="keys.signing_rotated",
            target=f"kid:{row.kid}",
            occurred_at=now,
        )
        session.commit()
        for info in signing.key_lifecycle(session, runtime=runtime, now=now):
            flags = ("active " if info.active else "") + (
                "published" if info.published else "retired"
            )
            typer.echo(f"{info.kid} activates {info.activates_at.isoformat()} {flags}")


@cli.command("rotate-master-key")
def rotate_master_key() -> None:
    """New vault master key version; re-wrap every data key under it (service stays up)."""
    with _open() as (session, runtime):
        try:
            version, rewrapped = rotate_master_key_everywhere(
                session,
                runtime=runtime,
                context=_context("rotate-master-key"),
                now=runtime.clock.now(),
            )
        except Problem as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"master key version {version}; {rewrapped} data keys re-wrapped")


@cli.command("rewrap")
def rewrap() -> None:
    """Re-wrap every data key under the current master key version."""
    with _open() as (session, runtime):
        rewrapped = rewrap_all(session, envelope=runtime.envelope, commit=session.commit)
        audit.record(
            session,
            context=_context("rewrap"),
            action="vault.rewrapped",
            occurred_at=runtime.clock.now(),
            details={"rewrapped": rewrapped},
        )
        session.commit()
        version = runtime.envelope.provider.current_version()
        typer.echo(f"{rewrapped} data keys re-wrapped under version {version}")


@cli.command("retire-master-keys")
def retire_master_keys(
    below: Annotated[int, typer.Option(help="the new minimum decryption version")],
) -> None:
    """Raise the minimum decryption version and delete older key material."""
    with _open() as (session, runtime):
        provider = runtime.envelope.provider
        if not is_rotatable(provider):
            typer.echo("error: the keyring comes from the environment; change it there", err=True)
            raise typer.Exit(1)
        still = {v: n for v, n in sealed_counts(session).items() if v < below}
        if still:
            typer.echo(
                f"error: values are still wrapped by versions {sorted(still)}; run `rewrap` first",
                err=True,
            )
            raise typer.Exit(1)
        provider.set_min_decryption_version(below)  # type: ignore[attr-defined]
        audit.record(
            session,
            context=_context("retire-master-keys"),
            action="vault.master_keys_retired",
            occurred_at=runtime.clock.now(),
            details={"min_decryption_version": below},
        )
        session.commit()
        typer.echo(f"minimum decryption version is now {below}")


@cli.command("verify-audit")
def verify_audit() -> None:
    """Check the audit chain against its anchors; exit status 1 naming the first bad record."""
    with _open() as (session, runtime):
        result = audit.verify_chain(session, anchors=read_anchors(runtime))
    if result.ok:
        typer.echo(
            f"audit chain intact: {result.records_checked} records, "
            f"{result.anchors_checked} anchors"
        )
        return
    broken = result.first_broken
    assert broken is not None
    typer.echo(
        f"audit chain BROKEN at record {broken.seq} (id {broken.id}): {broken.problem}", err=True
    )
    raise typer.Exit(1)


@cli.command("anchor-audit")
def anchor_audit() -> None:
    """Anchor the audit chain's head in Object-Locked S3 now (and publish the anchor)."""
    with _open() as (session, runtime):
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        made = anchor(engine, runtime, force=True)
    if made is None:
        typer.echo("the audit chain is empty: nothing to anchor")
        return
    typer.echo(f"anchored the audit chain at record {made.seq}")


@cli.command("export-audit")
def export_audit(
    since: Annotated[datetime | None, typer.Option(help="from (inclusive), ISO 8601")] = None,
    until: Annotated[datetime | None, typer.Option(help="until (exclusive), ISO 8601")] = None,
    output: Annotated[
        Path | None, typer.Option(help="file to write; standard output if absent")
    ] = None,
) -> None:
    """Export audit records of a time range as JSON lines."""
    with _open() as (session, runtime):
        audit.record(
            session,
            context=_context("export-audit"),
            action="audit.exported",
            occurred_at=runtime.clock.now(),
            details={
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
            },
        )
        session.commit()
        handle = output.open("w") if output else sys.stdout
        count = 0
        try:
            for record in audit.iter_export(session, since=since, until=until):
                handle.write(record.model_dump_json() + "\n")
                count += 1
        finally:
            if output:
                handle.close()
        typer.echo(f"{count} records exported", err=True)


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Demo data for the dev stack (idempotent); prints the accounts, one JSON line last."""
    with _open() as (session, runtime):
        accounts = seed_demo(session, runtime=runtime, context=_context("seed-demo"))
        session.commit()
    typer.echo("camwatch access demo accounts (development only):")
    for name, fields in accounts.items():
        shown = " ".join(
            f"{k}={v!r}" if " " in str(v) else f"{k}={v}" for k, v in fields.items() if k != "roles"
        )
        typer.echo(f"  - {name}: {shown}")
    typer.echo(json.dumps({"accounts": accounts}, ensure_ascii=False))
