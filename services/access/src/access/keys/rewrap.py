"""Re-wrapping every sealed value under the current master key (after a rotation).

It lives with the keys, not in `crypto`, because it knows every table that holds sealed values;
`crypto` stays a leaf that imports nothing of the service."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from access.crypto.contexts import signing_context, totp_context, vault_context
from access.crypto.envelope import Envelope, SealedRow, read_sealed, write_sealed
from access.keys.models import SigningKey
from access.officers.models import User
from access.vault.models import VaultSecretVersion

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
