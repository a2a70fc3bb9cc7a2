"""Vault routes: EPE clients write; assigned officers reveal; IT operators rotate master keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from access.crypto.keyring import is_rotatable
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, RuntimeDep, after_key
from access.keys.rewrap import rotate_master_key as rotate_master_key_everywhere
from access.keys.rewrap import sealed_counts
from access.permissions import EPE_CLIENTS, MANAGE_KEYS, READ_VAULT_METADATA, requires
from access.refusals import keep_refusals
from access.responses import NO_STORE
from access.vault import service as vault
from access.vault.models import (
    MasterKeyStatus,
    RevealedSecret,
    RevealHandleIssued,
    RevealOpen,
    RevealRequest,
    RewrapResult,
    VaultEntriesPage,
    VaultEntryCreate,
    VaultEntryPublic,
    VaultSecretWrite,
)
from servicekit.auth import CurrentPrincipal
from servicekit.db import SessionDep
from servicekit.pagination import page_of

router = APIRouter(tags=["vault"])


@router.post(
    "/vault/entries",
    status_code=201,
    dependencies=[requires(*EPE_CLIENTS)],
    responses={409: {"description": "the EPE is supervised by another unit"}},
)
def create_entry(
    body: VaultEntryCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> VaultEntryPublic:
    """An EPE client hands customs the access to one camera system (write-only)."""
    entry = vault.create_entry(
        session,
        principal=principal,
        data=body,
        runtime=runtime,
        context=context,
        now=now,
    )
    session.commit()
    return vault.to_public(session, entry)


@router.get("/vault/entries", dependencies=[requires(*READ_VAULT_METADATA)])
def list_entries(
    principal: CurrentPrincipal,
    session: SessionDep,
    epe_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> VaultEntriesPage:
    """Entry metadata: an EPE client sees its own, officers their unit's (never secrets)."""
    rows = vault.list_entries(
        session, principal=principal, epe_id=epe_id, after=after_key(cursor), limit=limit + 1
    )
    rows, following = page_of(rows, limit, key=lambda e: (e.id,))
    return VaultEntriesPage(
        data=[vault.to_public(session, e) for e in rows],
        next_cursor=following,
    )


@router.get("/vault/entries/{entry_id}", dependencies=[requires(*READ_VAULT_METADATA)])
def get_entry(entry_id: str, principal: CurrentPrincipal, session: SessionDep) -> VaultEntryPublic:
    """One entry's metadata."""
    entry = vault.get_entry(session, entry_id)
    vault.ensure_visible(principal, entry)
    return vault.to_public(session, entry)


@router.put(
    "/vault/entries/{entry_id}/secret",
    dependencies=[requires(*EPE_CLIENTS)],
    responses={409: {"description": "check-and-set failed"}},
)
def write_secret(
    entry_id: str,
    body: VaultSecretWrite,
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> VaultEntryPublic:
    """Rotate the secret: `cas` must be the current version; the last N versions are kept."""
    entry = vault.get_entry(session, entry_id)
    vault.ensure_visible(principal, entry)
    vault.write_secret(
        session,
        principal=principal,
        entry=entry,
        data=body,
        runtime=runtime,
        context=context,
        now=now,
    )
    session.commit()
    return vault.to_public(session, entry)


@router.post(
    "/vault/entries/{entry_id}/reveals",
    status_code=201,
    responses={403: {"description": "refused (recorded)"}},
)
def request_reveal(
    entry_id: str,
    body: RevealRequest,
    principal: CurrentPrincipal,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> RevealHandleIssued:
    """Ask for a single-use handle: assigned officer or unit head, reason, fresh step-up."""
    entry = vault.get_entry(session, entry_id)
    with keep_refusals(session):
        handle, token = vault.request_reveal(
            session,
            principal=principal,
            entry=entry,
            reason=body.reason,
            version=body.version,
            runtime=runtime,
            context=context,
            now=now,
        )
    session.commit()
    response.headers.update(NO_STORE)
    return RevealHandleIssued(handle=token, handle_id=handle.id, expires_at=handle.expires_at)


@router.post(
    "/vault/reveals/open",
    responses={
        404: {"description": "no such handle (recorded)"},
        410: {"description": "already opened or expired (recorded)"},
    },
)
def open_reveal(
    body: RevealOpen,
    principal: CurrentPrincipal,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> RevealedSecret:
    """Open a handle (once): returns the camera-system access to the officer it was issued to."""
    with keep_refusals(session):
        secret = vault.open_handle(
            session,
            principal=principal,
            token=body.handle,
            runtime=runtime,
            context=context,
            now=now,
        )
    session.commit()
    response.headers.update(NO_STORE)
    return secret


@router.get("/vault/master-key", dependencies=[requires(*MANAGE_KEYS)])
def master_key_status(
    principal: CurrentPrincipal, session: SessionDep, runtime: RuntimeDep
) -> MasterKeyStatus:
    """The keyring's versions and how many sealed values each still wraps."""
    provider = runtime.envelope.provider
    return MasterKeyStatus(
        current_version=provider.current_version(),
        min_decryption_version=provider.min_decryption_version(),
        versions=provider.versions(),
        rotatable=is_rotatable(provider),
        sealed_by_version={str(k): v for k, v in sealed_counts(session).items()},
    )


@router.post(
    "/vault/master-key/rotate",
    dependencies=[requires(*MANAGE_KEYS)],
    responses={409: {"description": "the keyring is held outside the service"}},
)
def rotate_master_key(
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> RewrapResult:
    """New master key version, then every data key re-wrapped under it (service stays up)."""
    version, rewrapped = rotate_master_key_everywhere(
        session, runtime=runtime, context=context, now=now
    )
    return RewrapResult(current_version=version, rewrapped=rewrapped)
