"""Conformity with Appendix I: per-line checks, the EPE's declaration, customs' review."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlmodel import Session, col

from registry.assignments.service import is_assigned
from registry.cameras.models import Camera
from registry.conformity.models import (
    CameraConformity,
    ConformityDeclaration,
    ConformityReport,
    ConformityReview,
    ConformityStatus,
    DeclarationCreate,
    DeclarationPublic,
    LineResult,
    ReviewCreate,
    ReviewDecision,
    ReviewPublic,
    TechnicalDocument,
)
from registry.conformity.requirements import check_specs
from registry.epes.exemption import ExemptionCategory
from registry.epes.models import Epe
from servicekit.auth import Principal, Role
from servicekit.clock import utc_now
from servicekit.errors import Conflict, Forbidden, field_error
from servicekit.ids import new_id


def _cameras(session: Session, epe_id: str) -> list[Camera]:
    return list(
        session.execute(
            select(Camera)
            .where(col(Camera.epe_id) == epe_id, col(Camera.removed_at).is_(None))
            .order_by(col(Camera.number))
        ).scalars()
    )


def specs_fingerprint(cameras: list[Camera]) -> str:
    """A hash of every camera's declared specs: a declaration is about exactly these."""
    material = [[c.id, c.number, c.specs] for c in sorted(cameras, key=lambda c: c.id)]
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def camera_results(cameras: list[Camera]) -> list[CameraConformity]:
    """Appendix I line results for each camera."""
    out = []
    for camera in cameras:
        lines = check_specs(camera.specs)
        out.append(
            CameraConformity(
                camera_id=camera.id,
                camera_number=camera.number,
                passed=sum(1 for r in lines if r.result is LineResult.PASS),
                failed=sum(1 for r in lines if r.result is LineResult.FAIL),
                not_declared=sum(1 for r in lines if r.result is LineResult.NOT_DECLARED),
                lines=lines,
            )
        )
    return out


def latest_declaration(session: Session, epe_id: str) -> ConformityDeclaration | None:
    """The EPE's most recent declaration."""
    return session.execute(
        select(ConformityDeclaration)
        .where(col(ConformityDeclaration.epe_id) == epe_id)
        .order_by(
            col(ConformityDeclaration.declared_at).desc(), col(ConformityDeclaration.id).desc()
        )
        .limit(1)
    ).scalar_one_or_none()


def review_of(session: Session, declaration_id: str) -> ConformityReview | None:
    """The review of a declaration, if any."""
    return session.execute(
        select(ConformityReview).where(col(ConformityReview.declaration_id) == declaration_id)
    ).scalar_one_or_none()


def report(session: Session, epe: Epe) -> ConformityReport:
    """Where the EPE stands: exempt (with the reason), or its checks, declaration and review."""
    cameras = _cameras(session, epe.id)
    declaration = latest_declaration(session, epe.id)
    review = review_of(session, declaration.id) if declaration else None
    if epe.exemption_category == ExemptionCategory.EXEMPT:
        status = ConformityStatus.EXEMPT
    elif declaration is None:
        status = ConformityStatus.NOT_DECLARED
    elif declaration.specs_fingerprint != specs_fingerprint(cameras):
        status = ConformityStatus.OUTDATED
    elif review is None:
        status = ConformityStatus.DECLARED
    else:
        status = ConformityStatus(review.decision)
    return ConformityReport(
        epe_id=epe.id,
        status=status,
        exemption_category=epe.exemption_category,
        exemption_reason=epe.exemption_reason,
        cameras=camera_results(cameras),
        declaration=declaration_public(declaration) if declaration else None,
        review=review_public(review) if review else None,
    )


def declare(
    session: Session, *, epe: Epe, data: DeclarationCreate, principal: Principal
) -> ConformityDeclaration:
    """Record the EPE's declaration of conformity over its current cameras."""
    if epe.exemption_category == ExemptionCategory.EXEMPT:
        raise Conflict(f"this EPE is exempt from Appendix I: {epe.exemption_reason}")
    cameras = _cameras(session, epe.id)
    if not cameras:
        raise Conflict("declare the cameras before declaring their conformity")
    declaration = ConformityDeclaration(
        id=new_id(),
        epe_id=epe.id,
        statement=data.statement,
        signed_by=data.signed_by,
        documents=[d.model_dump(mode="json") for d in data.documents],
        specs_fingerprint=specs_fingerprint(cameras),
        declared_by=principal.subject,
        declared_at=utc_now(),
    )
    session.add(declaration)
    session.flush()
    return declaration


def ensure_may_review(session: Session, principal: Principal, epe: Epe) -> str:
    """Only the unit's head or an officer of the unit assigned to the EPE reviews (I.1.3.b.2)."""
    if principal.unit != epe.unit:
        raise Forbidden("only officers of the EPE's supervising unit review its conformity")
    if principal.has(Role.HEAD_OF_SUBDEPARTMENT):
        return Role.HEAD_OF_SUBDEPARTMENT.value
    if principal.has(Role.SUPERVISORY_OFFICER) and is_assigned(
        session, officer=principal.subject, epe_id=epe.id, unit=epe.unit
    ):
        return Role.SUPERVISORY_OFFICER.value
    raise Forbidden("only the head of the unit or an officer assigned to this EPE may review")


def review(
    session: Session, *, epe: Epe, data: ReviewCreate, principal: Principal
) -> ConformityReview:
    """Confirm or reject the latest declaration (a rejection gives reasons)."""
    role = ensure_may_review(session, principal, epe)
    if epe.exemption_category == ExemptionCategory.EXEMPT:
        raise Conflict(f"this EPE is exempt from Appendix I: {epe.exemption_reason}")
    declaration = latest_declaration(session, epe.id)
    if declaration is None or declaration.id != data.declaration_id:
        raise field_error("body.declaration_id", "not the EPE's latest declaration")
    if review_of(session, declaration.id) is not None:
        raise Conflict("this declaration has been reviewed; the EPE declares again to change it")
    if data.decision is ReviewDecision.REJECTED and not data.reasons:
        raise field_error("body.reasons", "a rejection states its reasons")
    cameras = _cameras(session, epe.id)
    if data.decision is ReviewDecision.CONFIRMED:
        if declaration.specs_fingerprint != specs_fingerprint(cameras):
            raise Conflict("the cameras changed since this declaration; the EPE declares again")
        failing = [c.camera_number for c in camera_results(cameras) if c.failed]
        if failing:
            raise Conflict(
                "cannot confirm: declared specs fail Appendix I lines for cameras "
                + ", ".join(failing[:20])
            )
    row = ConformityReview(
        id=new_id(),
        epe_id=epe.id,
        declaration_id=declaration.id,
        decision=data.decision.value,
        reasons=list(data.reasons),
        reviewed_by=principal.subject,
        reviewer_role=role,
        reviewed_at=utc_now(),
    )
    session.add(row)
    session.flush()
    return row


def declaration_public(row: ConformityDeclaration) -> DeclarationPublic:
    """The API view of a declaration."""
    return DeclarationPublic(
        id=row.id,
        epe_id=row.epe_id,
        statement=row.statement,
        signed_by=row.signed_by,
        documents=[TechnicalDocument.model_validate(d) for d in row.documents],
        declared_by=row.declared_by,
        declared_at=row.declared_at,
    )


def review_public(row: ConformityReview) -> ReviewPublic:
    """The API view of a review."""
    return ReviewPublic(
        id=row.id,
        declaration_id=row.declaration_id,
        decision=ReviewDecision(row.decision),
        reasons=list(row.reasons),
        reviewed_by=row.reviewed_by,
        reviewer_role=row.reviewer_role,
        reviewed_at=row.reviewed_at,
    )
