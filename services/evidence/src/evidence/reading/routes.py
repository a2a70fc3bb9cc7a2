"""Officers view, stream and download sealed files; every answer is a custody record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import StreamingResponse

from evidence.custody.models import CustodyAction
from evidence.custody.service import record_custody
from evidence.deps import SourceDep
from evidence.reading.access import READERS, readable_package
from evidence.reading.service import (
    FILE_RESPONSES,
    file_response,
    mismatch_recorder,
    open_object,
    sealed_file,
    what_to_serve,
)
from servicekit.auth import CurrentPrincipal, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep

router = APIRouter(
    prefix="/packages", tags=["reading"], dependencies=[Depends(require_roles(*READERS))]
)
RangeHeader = Annotated[
    str | None, Header(alias="Range", description="one range: bytes=START-END, START- or -N")
]
IfRangeHeader = Annotated[
    str | None, Header(alias="If-Range", description="apply Range only for this ETag")
]


def _serve(
    request: Request,
    *,
    attachment: bool,
    package_id: str,
    file_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: str | None,
    range_header: str | None,
    if_range: str | None,
) -> StreamingResponse:
    package = readable_package(session, principal, package_id)
    _, file = sealed_file(session, package.id, file_id)
    served = what_to_serve(file, range_header=range_header, if_range=if_range)
    if attachment:
        action = CustodyAction.DOWNLOADED
    else:
        action = CustodyAction.VIEWED if served.byte_range is None else CustodyAction.STREAMED
    body = open_object(request.app.state.evidence_store, served)
    try:
        record_custody(
            session,
            action=action,
            actor=principal,
            request_id=package.request_id,
            at=clock.now(),
            source=source,
            package_id=package.id,
            file_id=file.id,
            sha256=file.sha256,
            details=served.details,
        )
        session.commit()
    except BaseException:
        body.close()
        body.release_conn()
        raise
    recorder = mismatch_recorder(
        request.app.state.engine,
        actor=principal,
        package=package,
        file=file,
        source=source,
        clock=clock,
        during=action,
    )
    return file_response(body, served, attachment=attachment, on_mismatch=recorder)


@router.get("/{package_id}/files/{file_id}/content", responses=FILE_RESPONSES)
def view_file(
    request: Request,
    package_id: str,
    file_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
    range_header: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> StreamingResponse:
    """Play or show a sealed file inline (a video player seeks with Range); recorded as
    `viewed` for the whole file, `streamed` for a range, with the caller and their address."""
    return _serve(
        request,
        attachment=False,
        package_id=package_id,
        file_id=file_id,
        session=session,
        principal=principal,
        clock=clock,
        source=source,
        range_header=range_header,
        if_range=if_range,
    )


@router.get("/{package_id}/files/{file_id}/download", responses=FILE_RESPONSES)
def download_file(
    request: Request,
    package_id: str,
    file_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
    range_header: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> StreamingResponse:
    """Download a sealed file as an attachment (Range resumes it); recorded as `downloaded`.
    A whole download is hashed on the way: bytes that differ from the seal are recorded as a
    failed `verified` in the custody chain."""
    return _serve(
        request,
        attachment=True,
        package_id=package_id,
        file_id=file_id,
        session=session,
        principal=principal,
        clock=clock,
        source=source,
        range_header=range_header,
        if_range=if_range,
    )
