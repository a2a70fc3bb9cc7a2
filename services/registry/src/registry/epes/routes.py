"""EPE routes: register, read, list (cursor-paginated, filterable) and update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from registry.deps import CurrentPrincipal, Cursor, Limit500, SessionDep
from registry.epes import service
from registry.epes.models import EpeCreate, EpePublic, EpeStatus, EpeUpdate
from registry.permissions import load_epe, readable_epe
from servicekit.pagination import Page, decode_cursor, page_of

router = APIRouter(prefix="/epes", tags=["epes"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=EpePublic,
    responses={409: {"description": "the EPE or its tax code is already registered"}},
)
def register_epe(data: EpeCreate, session: SessionDep, principal: CurrentPrincipal) -> EpePublic:
    """Register an EPE (customs system, head/supervisory officer of its unit, or the EPE itself)."""
    epe = service.register_epe(session, principal=principal, data=data)
    session.commit()
    return service.to_public(epe, 0)


@router.get("", response_model=Page[EpePublic])
def list_epes(
    session: SessionDep,
    principal: CurrentPrincipal,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    status: EpeStatus | None = None,
    exempt: bool | None = None,
    has_coverage_gaps: bool | None = None,
    cursor: Cursor = None,
    limit: Limit500 = 50,
) -> Page[EpePublic]:
    """EPEs the caller may see: its own (EPE client), its unit's (officer), all (customs system)."""
    key = decode_cursor(cursor)
    rows = service.list_epes(
        session,
        principal=principal,
        unit=unit,
        status=status,
        exempt=exempt,
        has_coverage_gaps=has_coverage_gaps,
        after=str(key[0]) if key else None,
        limit=limit,
    )
    rows, next_cursor = page_of(rows, limit, lambda e: [e.id])
    gaps = service.open_gap_counts(session, [e.id for e in rows])
    return Page(
        data=[service.to_public(e, gaps.get(e.id, 0)) for e in rows], next_cursor=next_cursor
    )


@router.get("/{epe_id}", response_model=EpePublic)
def get_epe(epe_id: str, session: SessionDep, principal: CurrentPrincipal) -> EpePublic:
    """One EPE with its computed exemption category and open coverage gaps."""
    epe = readable_epe(session, principal, epe_id)
    return service.to_public(epe, service.open_gap_counts(session, [epe.id]).get(epe.id, 0))


@router.patch(
    "/{epe_id}",
    response_model=EpePublic,
    responses={409: {"description": "another EPE has this tax code"}},
)
def update_epe(
    epe_id: str, data: EpeUpdate, session: SessionDep, principal: CurrentPrincipal
) -> EpePublic:
    """Change an EPE: its client the name, address and contacts; customs the rest."""
    if principal.is_epe and principal.epe_id != epe_id:
        readable_epe(session, principal, epe_id)  # raises the uniform 403
    epe = load_epe(session, epe_id)
    epe = service.update_epe(session, principal=principal, epe=epe, data=data)
    session.commit()
    return service.to_public(epe, service.open_gap_counts(session, [epe.id]).get(epe.id, 0))
