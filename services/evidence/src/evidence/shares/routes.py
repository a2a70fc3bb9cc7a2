"""Share links: officers make, list and revoke them; the recipient opens one with its token."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyAction
from evidence.deps import SettingsDep, SourceDep
from evidence.packages.models import PackageFile
from evidence.reading.access import READERS, SHARERS, ensure_may_share, readable_package
from evidence.reading.routes import IfRangeHeader, RangeHeader
from evidence.reading.service import (
    FILE_RESPONSES,
    file_response,
    mismatch_recorder,
    open_object,
    sealed_file,
    what_to_serve,
)
from evidence.shares.models import Share
from evidence.shares.schemas import (
    RevokeIn,
    SharedFile,
    SharedPackage,
    ShareIn,
    SharePublic,
    SharesPage,
    ShareWithToken,
)
from evidence.shares.service import (
    charge,
    create_share,
    recipient,
    record_opening,
    revoke_share,
    to_public,
    usable_share,
)
from evidence.shares.tokens import TOKEN_LENGTH, new_token
from servicekit.auth import CurrentPrincipal, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import NotFound
from servicekit.pagination import cursor_param, cursor_time, decode_cursor, limit_param, page_of

log = logging.getLogger(__name__)
router = APIRouter(tags=["shares"], dependencies=[Depends(require_roles(*READERS))])
Sharers = Depends(require_roles(*SHARERS))
public_router = APIRouter(prefix="/shared", tags=["shared"])
Token = Annotated[str, Path(max_length=TOKEN_LENGTH * 2, description="the link's token")]
LINK_REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "the link's downloads are used up"},
    404: {"description": "no such link"},
    410: {"description": "the link expired or was revoked"},
}
SHARED_PATH = "/api/evidence/shared/"


@router.post("/packages/{package_id}/shares", status_code=201, dependencies=[Sharers])
def post_share(
    package_id: str,
    body: ShareIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
    settings: SettingsDep,
) -> ShareWithToken:
    """Share a sealed package with one named recipient of another authority, until a date,
    for a number of downloads; the token is in this answer only."""
    package = readable_package(session, principal, package_id)
    ensure_may_share(session, principal, package.epe_id)
    now, token = clock.now(), new_token()
    share = create_share(
        session,
        principal,
        package,
        body,
        token=token,
        now=now,
        source=source,
        max_days=settings.share_max_days,
    )
    session.commit()
    return ShareWithToken(
        **to_public(share, now).model_dump(), token=token, path=SHARED_PATH + token
    )


@router.get("/packages/{package_id}/shares")
def list_shares(
    package_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param()] = 50,
) -> SharesPage:
    """The package's share links, oldest first, with how much each has served."""
    readable_package(session, principal, package_id)
    conditions = [col(Share.package_id) == package_id]
    key = decode_cursor(cursor, arity=2)
    if key is not None:
        at, last = cursor_time(key[0]), str(key[1])
        when, ident = col(Share.created_at), col(Share.id)
        conditions.append((when > at) | ((when == at) & (ident > last)))
    query = select(Share).where(*conditions).order_by(col(Share.created_at), col(Share.id))
    rows, next_cursor = page_of(
        list(session.exec(query.limit(limit + 1))), limit, lambda s: (s.created_at, s.id)
    )
    now = clock.now()
    return SharesPage(data=[to_public(s, now) for s in rows], next_cursor=next_cursor)


@router.post(
    "/shares/{share_id}/revoke",
    dependencies=[Sharers],
    responses={409: {"description": "the link is already revoked"}},
)
def revoke(
    share_id: str,
    body: RevokeIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    source: SourceDep,
) -> SharePublic:
    """Withdraw a share link: it answers 410 from now on."""
    share = session.exec(select(Share).where(Share.id == share_id).with_for_update()).first()
    if share is None:
        raise NotFound("share")
    package = readable_package(session, principal, share.package_id)
    ensure_may_share(session, principal, package.epe_id)
    now = clock.now()
    revoke_share(session, principal, share, package, reason=body.reason, now=now, source=source)
    session.commit()
    return to_public(share, now)


@public_router.get("/{token}", responses=LINK_REFUSED)
def open_share(
    token: Token, session: SessionDep, clock: ClockDep, source: SourceDep
) -> SharedPackage:
    """What a link opens (no customs sign-in: the token is the credential); recorded as
    `share_opened`."""
    now = clock.now()
    share, package = usable_share(session, token, now)
    files = session.exec(
        select(PackageFile)
        .where(PackageFile.package_id == package.id)
        .order_by(col(PackageFile.name))
    ).all()
    record_opening(session, share, package, now=now, source=source)
    session.commit()
    return SharedPackage(
        package_id=package.id,
        recipient_name=share.recipient_name,
        recipient_authority=share.recipient_authority,
        sealed_at=package.sealed_at,
        expires_at=share.expires_at,
        bytes_left=max(share.bytes_allowed - share.bytes_served, 0),
        files=[SharedFile.model_validate(f, from_attributes=True) for f in files],
    )


def _charger(request: Request, share_id: str) -> Callable[[int], None]:
    """What counts the bytes an answer sent against the share (its own transaction)."""
    engine = request.app.state.engine

    def charged(sent: int) -> None:
        try:
            with Session(engine) as session:
                charge(session, share_id, sent)
                session.commit()
        except Exception:  # the answer is already sent: say so, do not break the stream's end
            log.exception("bytes served by share %s could not be counted", share_id)

    return charged


@public_router.get("/{token}/files/{file_id}", responses={**FILE_RESPONSES, **LINK_REFUSED})
def shared_file(
    request: Request,
    token: Token,
    file_id: str,
    session: SessionDep,
    clock: ClockDep,
    source: SourceDep,
    range_header: RangeHeader = None,
    if_range: IfRangeHeader = None,
) -> StreamingResponse:
    """A file of the shared package, whole or one byte range (video seeks); each request is
    recorded as `share_opened` with the file's hash, and the bytes sent count against the
    link's allowance."""
    now = clock.now()
    share, package = usable_share(session, token, now)
    _, file = sealed_file(session, package.id, file_id)
    served = what_to_serve(file, range_header=range_header, if_range=if_range)
    body = open_object(request.app.state.evidence_store, served)
    try:
        record_opening(
            session, share, package, now=now, source=source, file=file, details=served.details
        )
        session.commit()
    except BaseException:
        body.close()
        body.release_conn()
        raise
    recorder = mismatch_recorder(
        request.app.state.engine,
        actor=recipient(share),
        package=package,
        file=file,
        source=source,
        clock=clock,
        during=CustodyAction.SHARE_OPENED,
    )
    return file_response(
        body,
        served,
        attachment=True,
        on_mismatch=recorder,
        on_sent=_charger(request, share.id),
    )
