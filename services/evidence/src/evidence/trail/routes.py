"""Exporting a package's custody trail as JSON or as a printable Vietnamese PDF."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response

from evidence.deps import SourceDep
from evidence.reading.access import READERS, readable_package
from evidence.trail.pdf import render_trail_pdf
from evidence.trail.schemas import TrailExport
from evidence.trail.service import check_chain, export_json, pdf_header, pdf_lines, record_export
from servicekit.auth import CurrentPrincipal, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep

router = APIRouter(
    prefix="/packages", tags=["custody"], dependencies=[Depends(require_roles(*READERS))]
)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "object storage (the chain's anchors) cannot be read"}
}


@router.get("/{package_id}/custody/export", responses=UNAVAILABLE)
def export_trail_json(
    request: Request,
    package_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
) -> TrailExport:
    """The package's custody trail with each record's MAC and the chain's check; recorded as
    `exported` (the last record of what is returned)."""
    package = readable_package(session, principal, package_id)
    now = clock.now()
    record_export(session, principal, package, form="json", now=now, source=source)
    session.commit()
    chain = check_chain(session, request.app.state.anchor_store)
    return export_json(session, package, chain=chain, exported_by=principal.subject, now=now)


@router.get(
    "/{package_id}/custody/export.pdf",
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the trail, printable"},
        **UNAVAILABLE,
    },
)
def export_trail_pdf(
    request: Request,
    package_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
) -> Response:
    """The package's custody trail as a Vietnamese PDF (times in Vietnam time); recorded as
    `exported`."""
    package = readable_package(session, principal, package_id)
    now = clock.now()
    record_export(session, principal, package, form="pdf", now=now, source=source)
    session.commit()
    chain = check_chain(session, request.app.state.anchor_store)
    header = pdf_header(package, chain=chain, exported_by=principal.subject, now=now)
    content = render_trail_pdf(header, pdf_lines(session, package), tz=VIETNAM)
    return Response(
        content=content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="nhat-ky-luu-giu-{package.id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
