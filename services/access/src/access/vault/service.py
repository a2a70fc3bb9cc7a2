"""The vault: EPEs write camera-system access (write-only, versioned, check-and-set);
assigned officers reveal it through short-lived single-use handles after a step-up."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from access.assignments import service as assignments
from access.audit import service as audit
from access.authority import service as authority
from access.clients.service import bind_epe
from access.context import AuditContext
from access.crypto.contexts import vault_context
from access.crypto.envelope import read_sealed, write_sealed
from access.crypto.hashing import digest, new_secret, salted_hmac
from access.officers.models import User
from access.permissions import is_person
from access.refusals import Refusal
from access.runtime import Runtime
from access.signin import service as signin
from access.vault.events import (
    VaultEntryCreated,
    VaultEntryRevealed,
    VaultEntryRotated,
    VaultRevealRefused,
)
from access.vault.models import (
    RevealedSecret,
    RevealHandle,
    SecretFields,
    VaultEntry,
    VaultEntryCreate,
    VaultEntryPublic,
    VaultSecretVersion,
    VaultSecretWrite,
)
from servicekit.auth import Principal, Role
from servicekit.errors import Conflict, Forbidden, NotFound, Problem
from servicekit.events import add_event

STEP_UP_PROBLEM = "https://camwatch.customs.gov.vn/problems/step-up-required"


def _plaintext(fields: SecretFields) -> bytes:
    return json.dumps(
        {
            "access_url": fields.access_url.get_secret_value(),
            "account": fields.account.get_secret_value(),
            "password": fields.password.get_secret_value(),
            "notes": fields.notes.get_secret_value() if fields.notes else None,
        }
    ).encode()


def _fingerprints(fields: SecretFields, runtime: Runtime) -> dict[str, str]:
    """Salted HMACs of the secret values: an investigator holding the key can check a value."""
    key = runtime.audit_key
    return {
        "account_hmac": salted_hmac(key, fields.account.get_secret_value()),
        "password_hmac": salted_hmac(key, fields.password.get_secret_value()),
    }


def kept_versions(session: Session, entry_id: str) -> list[int]:
    """Versions whose secret still exists."""
    return list(
        session.exec(
            select(VaultSecretVersion.version)
            .where(VaultSecretVersion.entry_id == entry_id)
            .where(col(VaultSecretVersion.destroyed_at).is_(None))
            .order_by(col(VaultSecretVersion.version))
        ).all()
    )


def to_public(session: Session, entry: VaultEntry) -> VaultEntryPublic:
    """An entry's metadata."""
    return VaultEntryPublic(
        id=entry.id,
        epe_id=entry.epe_id,
        unit=entry.unit,
        label=entry.label,
        access_method=entry.access_method,
        current_version=entry.current_version,
        versions_kept=kept_versions(session, entry.id),
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def _epe_of(principal: Principal) -> tuple[str, str]:
    if not principal.is_epe or not principal.epe_id or not principal.unit:
        raise Forbidden("only an EPE client (bound to its EPE and unit) writes vault entries")
    return principal.epe_id, principal.unit


def _store_version(
    session: Session,
    *,
    entry: VaultEntry,
    version: int,
    fields: SecretFields,
    by: str,
    runtime: Runtime,
    now: datetime,
) -> None:
    row = VaultSecretVersion(entry_id=entry.id, version=version, created_at=now, created_by=by)
    write_sealed(
        row, runtime.envelope.seal(_plaintext(fields), context=vault_context(entry.id, version))
    )
    session.add(row)
    keep = runtime.settings.vault_max_versions
    for old in session.exec(
        select(VaultSecretVersion)
        .where(VaultSecretVersion.entry_id == entry.id)
        .where(VaultSecretVersion.version <= version - keep)
        .where(col(VaultSecretVersion.destroyed_at).is_(None))
    ).all():
        write_sealed(old, None)
        old.destroyed_at = now
        session.add(old)


def create_entry(
    session: Session,
    *,
    principal: Principal,
    data: VaultEntryCreate,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> VaultEntry:
    """An EPE client stores a new entry (version 1) for its own EPE."""
    epe_id, unit = _epe_of(principal)
    bind_epe(session, epe_id=epe_id, unit=unit, now=now)
    entry = VaultEntry(
        epe_id=epe_id,
        unit=unit,
        label=data.label,
        access_method=data.access_method,
        current_version=1,
        created_at=now,
        created_by=context.actor,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    _store_version(
        session, entry=entry, version=1, fields=data, by=context.actor, runtime=runtime, now=now
    )
    add_event(
        session,
        VaultEntryCreated(
            entry_id=entry.id,
            epe_id=epe_id,
            unit=unit,
            label=entry.label,
            access_method=entry.access_method,
            version=1,
            created_by=context.actor,
            created_at=now,
        ),
        subject=epe_id,
    )
    audit.record(
        session,
        context=context,
        action="vault.entry_created",
        target=f"vault:{entry.id}",
        occurred_at=now,
        details={"epe_id": epe_id, "version": 1, **_fingerprints(data, runtime)},
    )
    return entry


def get_entry(session: Session, entry_id: str) -> VaultEntry:
    """An entry by id (404 when unknown)."""
    entry = session.get(VaultEntry, entry_id)
    if entry is None:
        raise NotFound("vault entry")
    return entry


def ensure_visible(principal: Principal, entry: VaultEntry) -> None:
    """Metadata: the owning EPE client, or officers of the supervising unit."""
    if principal.is_epe:
        if principal.epe_id != entry.epe_id:
            raise Forbidden("an EPE client may act only on its own enterprise")
        return
    if principal.has(Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR):
        if principal.unit != entry.unit:
            raise Forbidden("this enterprise is supervised by another customs unit")
        return
    raise Forbidden("the caller may not see vault entries")


def write_secret(
    session: Session,
    *,
    principal: Principal,
    entry: VaultEntry,
    data: VaultSecretWrite,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> VaultEntry:
    """Rotate an entry's secret: check-and-set against the current version."""
    epe_id, _ = _epe_of(principal)
    if entry.epe_id != epe_id:
        raise Forbidden("an EPE client may act only on its own enterprise")
    if data.cas != entry.current_version:
        raise Conflict(
            f"check-and-set failed: the entry is at version {entry.current_version}, "
            f"not {data.cas}",
            current_version=entry.current_version,
        )
    version = entry.current_version + 1
    entry.current_version = version
    entry.updated_at = now
    if data.access_method is not None:
        entry.access_method = data.access_method
    session.add(entry)
    _store_version(
        session,
        entry=entry,
        version=version,
        fields=data,
        by=context.actor,
        runtime=runtime,
        now=now,
    )
    add_event(
        session,
        VaultEntryRotated(
            entry_id=entry.id,
            epe_id=entry.epe_id,
            unit=entry.unit,
            version=version,
            rotated_by=context.actor,
            rotated_at=now,
        ),
        subject=entry.epe_id,
    )
    audit.record(
        session,
        context=context,
        action="vault.secret_rotated",
        target=f"vault:{entry.id}",
        occurred_at=now,
        details={"epe_id": entry.epe_id, "version": version, **_fingerprints(data, runtime)},
    )
    return entry


def list_entries(
    session: Session, *, principal: Principal, epe_id: str | None, after: str | None, limit: int
) -> list[VaultEntry]:
    """Entries the caller may see: an EPE its own, officers their unit's."""
    query = select(VaultEntry)
    if principal.is_epe:
        if epe_id is not None and epe_id != principal.epe_id:
            raise Forbidden("an EPE client may act only on its own enterprise")
        query = query.where(VaultEntry.epe_id == principal.epe_id)
    else:
        query = query.where(VaultEntry.unit == principal.unit)
        if epe_id is not None:
            query = query.where(VaultEntry.epe_id == epe_id)
    if after is not None:
        query = query.where(VaultEntry.id > after)
    return list(session.exec(query.order_by(col(VaultEntry.id)).limit(limit)).all())


# Reveals ----------------------------------------------------------------------------------------


def _refuse(
    session: Session,
    *,
    problem: Problem,
    refusal: str,
    entry: VaultEntry | None,
    reason: str | None,
    context: AuditContext,
    now: datetime,
) -> Refusal:
    audit.record(
        session,
        context=context,
        action="vault.reveal_refused",
        target=f"vault:{entry.id}" if entry else None,
        reason=reason,
        outcome=audit.REFUSED,
        occurred_at=now,
        details={"refusal": refusal, "epe_id": entry.epe_id if entry else None},
    )
    add_event(
        session,
        VaultRevealRefused(
            entry_id=entry.id if entry else None,
            epe_id=entry.epe_id if entry else None,
            unit=entry.unit if entry else None,
            actor=context.actor,
            refusal=refusal,
            refused_at=now,
        ),
        subject=entry.epe_id if entry else None,
    )
    return Refusal(problem)


def _may_reveal(session: Session, user: User, entry: VaultEntry) -> bool:
    if user.unit != entry.unit or not user.active:
        return False
    if authority.holds(session, user, Role.HEAD_OF_SUBDEPARTMENT, unit=entry.unit):
        return True
    return authority.holds(session, user, Role.SUPERVISORY_OFFICER) and assignments.is_assigned(
        session, officer_id=user.id, epe_id=entry.epe_id
    )


def request_reveal(
    session: Session,
    *,
    principal: Principal,
    entry: VaultEntry,
    reason: str,
    version: int | None,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> tuple[RevealHandle, str]:
    """A single-use handle for the assigned officer or the unit head, after a fresh step-up."""

    def refuse(problem: Problem, refusal: str) -> Refusal:
        return _refuse(
            session,
            problem=problem,
            refusal=refusal,
            entry=entry,
            reason=reason,
            context=context,
            now=now,
        )

    if not is_person(principal):
        raise refuse(Forbidden("machine clients never read vault secrets"), "machine_client")
    user = session.get(User, principal.subject)
    if user is None or not user.active:
        raise refuse(Forbidden("the account is unknown or deactivated"), "inactive_account")
    if not _may_reveal(session, user, entry):
        raise refuse(
            Forbidden("only an officer assigned to this EPE, or the head of its unit, may reveal"),
            "not_assigned",
        )
    if not signin.step_up_fresh(user, runtime=runtime, now=now):
        raise refuse(
            Problem(
                403,
                "Step-up required",
                "confirm your authenticator code at /step-up first (valid for "
                f"{runtime.settings.step_up_window} s)",
                type_=STEP_UP_PROBLEM,
            ),
            "step_up_required",
        )
    wanted = version or entry.current_version
    if wanted not in kept_versions(session, entry.id):
        raise NotFound("secret version", f"version {wanted} of this entry is not kept")
    token = new_secret(32)
    handle = RevealHandle(
        digest=digest(token),
        entry_id=entry.id,
        version=wanted,
        officer_id=user.id,
        reason=reason,
        created_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.reveal_handle_ttl),
    )
    session.add(handle)
    session.flush()
    audit.record(
        session,
        context=context,
        action="vault.reveal_granted",
        target=f"vault:{entry.id}",
        reason=reason,
        occurred_at=now,
        details={"epe_id": entry.epe_id, "version": wanted, "handle_id": handle.id},
    )
    return handle, token


def open_handle(
    session: Session,
    *,
    principal: Principal,
    token: str,
    runtime: Runtime,
    context: AuditContext,
    now: datetime,
) -> RevealedSecret:
    """Open a handle once; a second opening, another officer or a late one is refused."""
    handle = session.exec(select(RevealHandle).where(RevealHandle.digest == digest(token))).first()
    if handle is None:
        raise _refuse(
            session,
            problem=NotFound("reveal handle"),
            refusal="unknown_handle",
            entry=None,
            reason=None,
            context=context,
            now=now,
        )
    entry = get_entry(session, handle.entry_id)

    def refuse(problem: Problem, refusal: str) -> Refusal:
        return _refuse(
            session,
            problem=problem,
            refusal=refusal,
            entry=entry,
            reason=handle.reason,
            context=context,
            now=now,
        )

    if principal.subject != handle.officer_id:
        raise refuse(Forbidden("this handle was issued to another officer"), "other_officer")
    if handle.opened_at is not None:
        raise refuse(Problem(410, "Gone", "this handle has already been opened"), "handle_reused")
    if handle.expires_at <= now:
        raise refuse(Problem(410, "Gone", "this handle has expired"), "handle_expired")
    user = session.get(User, handle.officer_id)
    if user is None or not _may_reveal(session, user, entry):
        raise refuse(Forbidden("the officer is no longer assigned to this EPE"), "not_assigned")
    version = session.exec(
        select(VaultSecretVersion)
        .where(VaultSecretVersion.entry_id == entry.id)
        .where(VaultSecretVersion.version == handle.version)
    ).first()
    sealed = read_sealed(version) if version is not None else None
    if sealed is None:
        raise refuse(
            Problem(410, "Gone", "this secret version has been destroyed"), "version_destroyed"
        )
    handle.opened_at = now
    session.add(handle)
    secret = json.loads(
        runtime.envelope.open(sealed, context=vault_context(entry.id, handle.version))
    )
    add_event(
        session,
        VaultEntryRevealed(
            entry_id=entry.id,
            epe_id=entry.epe_id,
            unit=entry.unit,
            version=handle.version,
            officer_id=handle.officer_id,
            reason=handle.reason,
            revealed_at=now,
        ),
        subject=entry.epe_id,
    )
    audit.record(
        session,
        context=context,
        action="vault.revealed",
        target=f"vault:{entry.id}",
        reason=handle.reason,
        occurred_at=now,
        details={"epe_id": entry.epe_id, "version": handle.version, "handle_id": handle.id},
    )
    return RevealedSecret(
        entry_id=entry.id,
        epe_id=entry.epe_id,
        version=handle.version,
        access_method=entry.access_method,
        access_url=secret["access_url"],
        account=secret["account"],
        password=secret["password"],
        notes=secret.get("notes"),
    )
