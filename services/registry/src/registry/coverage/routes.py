"""The coverage check of an EPE."""

from __future__ import annotations

from fastapi import APIRouter

from registry.common import utc_now
from registry.coverage.models import CoverageReport, GapPublic
from registry.coverage.service import compute_gaps, open_gaps
from registry.permissions import readable_epe
from servicekit.auth import CurrentPrincipal
from servicekit.db import SessionDep

router = APIRouter(prefix="/epes/{epe_id}/coverage", tags=["coverage"])


@router.get("", response_model=CoverageReport)
def coverage_check(epe_id: str, session: SessionDep, principal: CurrentPrincipal) -> CoverageReport:
    """Gaps now: gates/storage areas without an online camera, gate cameras that cannot read
    plates or container numbers, storage areas not declared fully covered."""
    epe = readable_epe(session, principal, epe_id)
    found = {g.gap_key: g.found_at for g in open_gaps(session, epe.id)}
    gaps = [
        GapPublic(
            kind=gap.kind,
            area_id=gap.area.id,
            area_code=gap.area.code,
            camera_id=gap.camera.id if gap.camera else None,
            camera_number=gap.camera.number if gap.camera else None,
            detail=gap.detail,
            found_at=found.get(gap.key),
        )
        for gap in compute_gaps(session, epe.id)
    ]
    return CoverageReport(epe_id=epe.id, complete=not gaps, gaps=gaps, checked_at=utc_now())
