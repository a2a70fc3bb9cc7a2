"""Conformity routes: per-line checks, the EPE's declaration, customs' confirmation."""

from __future__ import annotations

from fastapi import APIRouter, status

from registry.cameras.models import CameraSpecs
from registry.cameras.service import get_camera
from registry.conformity import service
from registry.conformity.models import (
    CameraConformity,
    ConformityReport,
    DeclarationCreate,
    DeclarationPublic,
    RequirementResult,
    ReviewCreate,
    ReviewPublic,
)
from registry.conformity.requirements import check_specs
from registry.deps import CurrentPrincipal, SessionDep
from registry.permissions import load_epe, own_epe, readable_epe

router = APIRouter(prefix="/epes/{epe_id}/conformity", tags=["conformity"])
checks = APIRouter(prefix="/conformity", tags=["conformity"])


@router.get("", response_model=ConformityReport)
def conformity_report(
    epe_id: str, session: SessionDep, principal: CurrentPrincipal
) -> ConformityReport:
    """Exempt with the reason, or each camera's Appendix I lines, the declaration and review."""
    return service.report(session, readable_epe(session, principal, epe_id))


@router.get("/cameras/{camera_id}", response_model=CameraConformity)
def camera_conformity(
    epe_id: str, camera_id: str, session: SessionDep, principal: CurrentPrincipal
) -> CameraConformity:
    """One camera's result per Appendix I line."""
    epe = readable_epe(session, principal, epe_id)
    camera = get_camera(session, epe_id=epe.id, camera_id=camera_id)
    return service.camera_results([camera])[0]


@router.post(
    "/declarations",
    status_code=status.HTTP_201_CREATED,
    response_model=DeclarationPublic,
    responses={409: {"description": "the EPE is exempt or has declared no cameras"}},
)
def declare_conformity(
    epe_id: str, data: DeclarationCreate, session: SessionDep, principal: CurrentPrincipal
) -> DeclarationPublic:
    """The EPE declares its camera system conforms to Appendix I (I.1.3.b.2)."""
    epe = own_epe(session, principal, epe_id)
    declaration = service.declare(session, epe=epe, data=data, principal=principal)
    session.commit()
    return service.declaration_public(declaration)


@router.post(
    "/reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewPublic,
    responses={409: {"description": "exempt, already reviewed, or the cameras changed since"}},
)
def review_conformity(
    epe_id: str, data: ReviewCreate, session: SessionDep, principal: CurrentPrincipal
) -> ReviewPublic:
    """The unit's head or an assigned officer confirms or rejects (with reasons)."""
    if principal.is_epe:
        readable_epe(session, principal, epe_id)
    epe = load_epe(session, epe_id)
    row = service.review(session, epe=epe, data=data, principal=principal)
    session.commit()
    return service.review_public(row)


@checks.post("/check", response_model=list[RequirementResult])
def check_specs_route(specs: CameraSpecs, principal: CurrentPrincipal) -> list[RequirementResult]:
    """Check specs against Appendix I before declaring a camera (nothing is stored)."""
    del principal
    return check_specs(specs.model_dump(exclude_none=True))
