"""Logbook routes: the EPE appends; officers read and filter. There is no edit or delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from registry.deps import CurrentPrincipal, Cursor, Limit500, SessionDep
from registry.logbook import service
from registry.logbook.models import EntryCreate, EntryKind, EntryPublic, LogbookEntry
from registry.permissions import own_epe, readable_epe
from servicekit.errors import NotFound
from servicekit.inputs import Instant
from servicekit.pagination import Page, decode_cursor, page_of

router = APIRouter(prefix="/epes/{epe_id}/logbook", tags=["logbook"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EntryPublic)
def write_entry(
    epe_id: str, data: EntryCreate, session: SessionDep, principal: CurrentPrincipal
) -> EntryPublic:
    """Append an entry: power failure, inactivity, repair, maintenance or other (I.1.1.e.2)."""
    epe = own_epe(session, principal, epe_id)
    entry = service.write_entry(session, epe=epe, data=data, principal=principal)
    session.commit()
    return service.to_public(entry, [])


@router.get("", response_model=Page[EntryPublic])
def list_entries(
    epe_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    kind: EntryKind | None = None,
    camera: Annotated[str | None, Query(max_length=32, description="camera number")] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    cursor: Cursor = None,
    limit: Limit500 = 100,
) -> Page[EntryPublic]:
    """Read the logbook, filtered by kind, camera and time range."""
    epe = readable_epe(session, principal, epe_id)
    key = decode_cursor(cursor)
    rows = service.list_entries(
        session,
        epe_id=epe.id,
        kind=kind,
        camera=camera,
        start=start,
        end=end,
        after=str(key[0]) if key else None,
        limit=limit,
    )
    rows, next_cursor = page_of(rows, limit, lambda e: [e.id])
    corrections = service.corrections_of(session, [e.id for e in rows])
    return Page(
        data=[service.to_public(e, corrections.get(e.id, [])) for e in rows],
        next_cursor=next_cursor,
    )


@router.get("/{entry_id}", response_model=EntryPublic)
def get_entry(
    epe_id: str, entry_id: str, session: SessionDep, principal: CurrentPrincipal
) -> EntryPublic:
    """One entry with the entries correcting it."""
    epe = readable_epe(session, principal, epe_id)
    entry = session.get(LogbookEntry, entry_id)
    if entry is None or entry.epe_id != epe.id:
        raise NotFound("logbook entry")
    return service.to_public(entry, service.corrections_of(session, [entry.id]).get(entry.id, []))
