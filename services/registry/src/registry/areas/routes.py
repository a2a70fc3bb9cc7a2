"""Area routes: the EPE declares its gates/doors and storage areas."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from registry.areas import service
from registry.areas.models import AreaCreate, AreaPublic, AreaUpdate
from registry.deps import CurrentPrincipal, Cursor, Limit500, SessionDep
from registry.permissions import managed_epe, readable_epe
from servicekit.errors import field_error
from servicekit.pagination import Page, decode_cursor, page_of

router = APIRouter(prefix="/epes/{epe_id}/areas", tags=["areas"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AreaPublic,
    responses={409: {"description": "an area with this code exists"}},
)
def create_area(
    epe_id: str, data: AreaCreate, session: SessionDep, principal: CurrentPrincipal
) -> AreaPublic:
    """Declare a gate/door, storage area or storage-area gate (EPE client or customs system)."""
    epe = managed_epe(session, principal, epe_id)
    area = service.create_area(session, epe=epe, data=data)
    session.commit()
    return service.to_public(area)


@router.get("", response_model=Page[AreaPublic])
def list_areas(
    epe_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Limit500 = 100,
) -> Page[AreaPublic]:
    """The EPE's active areas in code order."""
    epe = readable_epe(session, principal, epe_id)
    key = decode_cursor(cursor)
    if key is not None and not isinstance(key[0], str):
        raise field_error("query.cursor", "not a cursor returned by this API")
    rows = service.list_areas(session, epe_id=epe.id, after=key[0] if key else None, limit=limit)
    rows, next_cursor = page_of(rows, limit, lambda a: [a.code])
    return Page(data=[service.to_public(a) for a in rows], next_cursor=next_cursor)


@router.get("/{area_id}", response_model=AreaPublic)
def get_area(
    epe_id: str, area_id: str, session: SessionDep, principal: CurrentPrincipal
) -> AreaPublic:
    """One area."""
    epe = readable_epe(session, principal, epe_id)
    return service.to_public(service.get_area(session, epe_id=epe.id, area_id=area_id))


@router.patch("/{area_id}", response_model=AreaPublic)
def update_area(
    epe_id: str, area_id: str, data: AreaUpdate, session: SessionDep, principal: CurrentPrincipal
) -> AreaPublic:
    """Rename an area or change its coverage declaration."""
    epe = managed_epe(session, principal, epe_id)
    area = service.update_area(
        session, area=service.get_area(session, epe_id=epe.id, area_id=area_id), data=data
    )
    session.commit()
    return service.to_public(area)


@router.delete(
    "/{area_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "cameras or gates are still in the area"}},
)
def remove_area(
    epe_id: str, area_id: str, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    """Retire an area without cameras or gates."""
    epe = managed_epe(session, principal, epe_id)
    service.remove_area(session, area=service.get_area(session, epe_id=epe.id, area_id=area_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
