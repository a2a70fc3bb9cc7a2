"""The coverage check of an EPE."""

from __future__ import annotations

from fastapi import APIRouter

from registry.coverage.models import CoverageReport, GapPublic
from registry.coverage.service import compute_gaps, open_gaps
from registry.deps import ClockDep, CurrentPrincipal, SessionDep
from registry.permissions import readable_epe

router = APIRouter(prefix="/epes/{epe_id}/coverage", tags=["coverage"])


@router.get("", response_model=CoverageReport)
def coverage_check(
    epe_id: str, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> CoverageReport:
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
    return CoverageReport(epe_id=epe.id, complete=not gaps, gaps=gaps, checked_at=clock.now())
