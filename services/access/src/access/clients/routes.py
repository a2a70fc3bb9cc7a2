"""Administration of machine clients (the secret is shown once, at creation or rotation)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlmodel import Session

from access.clients import service as clients
from access.clients.models import (
    ClientCreate,
    ClientCreated,
    ClientPublic,
    ClientsPage,
    OAuthClient,
)
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, RuntimeDep, after_key
from access.officers.models import ReasonBody
from access.permissions import MANAGE_CLIENTS, ensure_own_unit, requires
from access.responses import NO_STORE
from servicekit.auth import CurrentPrincipal, Principal
from servicekit.db import SessionDep
from servicekit.pagination import page_of

router = APIRouter(tags=["clients"], dependencies=[requires(*MANAGE_CLIENTS)])


def managed_client(session: Session, principal: Principal, client_id: str) -> OAuthClient:
    """A client the administrator may manage: one of their unit, or a national one."""
    row = clients.get_client(session, client_id)
    ensure_own_unit(principal, row.unit)
    return row


@router.post(
    "/clients",
    status_code=201,
    responses={409: {"description": "the client id is taken, or the EPE is of another unit"}},
)
def create_client(
    body: ClientCreate,
    principal: CurrentPrincipal,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> ClientCreated:
    """Register a customs-system, EPE vendor or resource-server client (of the administrator's
    unit, or national: no unit)."""
    ensure_own_unit(principal, body.unit)
    row, secret = clients.create_client(
        session,
        client_id=body.client_id,
        name=body.name,
        kind=body.kind,
        epe_id=body.epe_id,
        unit=body.unit,
        runtime=runtime,
        context=context,
        now=now,
    )
    session.commit()
    response.headers.update(NO_STORE)
    return ClientCreated(client=clients.public_view(session, row), client_secret=secret)


@router.get("/clients")
def list_clients(
    principal: CurrentPrincipal,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> ClientsPage:
    """Machine clients of the administrator's unit and national ones (no unit)."""
    rows = clients.list_clients(
        session, unit=principal.unit, after=after_key(cursor), limit=limit + 1
    )
    rows, following = page_of(rows, limit, key=lambda r: (r.client_id,))
    return ClientsPage(
        data=[clients.public_view(session, r) for r in rows],
        next_cursor=following,
    )


@router.get("/clients/{client_id}")
def get_client(client_id: str, principal: CurrentPrincipal, session: SessionDep) -> ClientPublic:
    """One machine client."""
    return clients.public_view(session, managed_client(session, principal, client_id))


@router.post("/clients/{client_id}/secret")
def rotate_client_secret(
    client_id: str,
    principal: CurrentPrincipal,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> ClientCreated:
    """Issue a new secret (the old one stops working); shown only here."""
    row = managed_client(session, principal, client_id)
    secret = clients.rotate_secret(
        session,
        row=row,
        runtime=runtime,
        context=context,
        now=now,
    )
    session.commit()
    response.headers.update(NO_STORE)
    return ClientCreated(client=clients.public_view(session, row), client_secret=secret)


@router.post("/clients/{client_id}/deactivate")
def deactivate_client(
    client_id: str,
    body: ReasonBody,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> ClientPublic:
    """Disable a client; it can no longer obtain tokens."""
    row = managed_client(session, principal, client_id)
    clients.deactivate_client(
        session,
        row=row,
        reason=body.reason,
        context=context,
        now=now,
    )
    session.commit()
    return clients.public_view(session, row)
