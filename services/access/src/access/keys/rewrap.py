"""Re-wrapping every sealed value under the current master key (after a rotation).

It lives with the keys, not in `crypto`, because it knows every table that holds sealed values;
`crypto` stays a leaf that imports nothing of the service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from access.audit import service as audit
from access.context import AuditContext
from access.crypto.contexts import signing_context, totp_context, vault_context
from access.crypto.envelope import Envelope, SealedRow, read_sealed, write_sealed
from access.crypto.keyring import KeyringError, is_rotatable
from access.keys.models import SigningKey
from access.officers.models import User
from access.runtime import Runtime
from access.vault.events import MasterKeyRotated
from access.vault.models import VaultSecretVersion
from servicekit.errors import Conflict
from servicekit.events import add_event

SealedTable = type[SigningKey] | type[User] | type[VaultSecretVersion]


def _context(row: SealedRow) -> str:
    if isinstance(row, SigningKey):
        return signing_context(row.kid)
    if isinstance(row, User):
        return totp_context(row.id)
    if isinstance(row, VaultSecretVersion):
        return vault_context(row.entry_id, row.version)
    raise TypeError(type(row).__name__)


SEALED_TABLES: tuple[SealedTable, ...] = (SigningKey, User, VaultSecretVersion)


def sealed_counts(session: Session) -> dict[int, int]:
    """How many sealed values each master key version still wraps."""
    counts: Counter[int] = Counter()
    for table in SEALED_TABLES:
        for version in session.exec(
            select(table.key_version).where(col(table.key_version).is_not(None))
        ).all():
            if version is not None:
                counts[version] += 1
    return dict(sorted(counts.items()))


def rewrap_all(
    session: Session,
    *,
    envelope: Envelope,
    batch: int = 200,
    commit: Callable[[], None] | None = None,
) -> int:
    """Re-wrap every data key not under the current master version; returns how many.

    Values are never decrypted, only their data keys; work is committed batch by batch so the
    service keeps serving (old versions stay readable until the minimum version is raised).
    """
    total = 0
    for table in SEALED_TABLES:
        while True:
            current = envelope.provider.current_version()
            rows: list[Any] = session.exec(
                select(table)
                .where(col(table.key_version).is_not(None))
                .where(col(table.key_version) != current)
                .limit(batch)
            ).all()  # type: ignore[assignment]
            if not rows:
                break
            for row in rows:
                sealed = read_sealed(row)
                if sealed is None:
                    continue
                rewrapped = envelope.rewrap(sealed, context=_context(row))
                if rewrapped is not None:
                    write_sealed(row, rewrapped)
                    session.add(row)
                    total += 1
            session.flush()
            if commit is not None:
                commit()
    return total


def rotate_master_key(
    session: Session, *, runtime: Runtime, context: AuditContext, now: datetime
) -> tuple[int, int]:
    """A new master key version, every data key re-wrapped under it (the service stays up),
    the event and the audit record: one path for the API and the operator's CLI. Returns the
    version and how many values were re-wrapped; a keyring held outside is a 409."""
    provider = runtime.envelope.provider
    if not is_rotatable(provider):
        raise Conflict("the keyring comes from the environment; rotate it there and run `rewrap`")
    try:
        version: int = provider.rotate()  # type: ignore[attr-defined]
    except KeyringError as exc:
        raise Conflict(str(exc)) from exc
    rewrapped = rewrap_all(session, envelope=runtime.envelope, commit=session.commit)
    add_event(
        session,
        MasterKeyRotated(
            version=version, rewrapped=rewrapped, rotated_by=context.actor, rotated_at=now
        ),
        subject=f"master-key:{version}",
    )
    audit.record(
        session,
        context=context,
        action="vault.master_key_rotated",
        occurred_at=now,
        details={"version": version, "rewrapped": rewrapped},
    )
    session.commit()
    return version, rewrapped
