"""Notice endpoints: file (idempotent), read, revise (If-Match), print as Appendix II PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from incidents.deps import ContextDep, CurrentPrincipal, SessionDep
from incidents.http import check_if_match, etag
from incidents.incident.service import camera_ids
from incidents.notices import service
from incidents.notices.models import Notice, NoticeCreate, NoticePublic, NoticeUpdate
from incidents.notices.pdf import CameraLine, render_notice_pdf
from incidents.permissions import Actor, CanRead, EpeOnly, ensure_epe_visible, ensure_own_epe
from incidents.projection.models import Camera, Enterprise
from servicekit.auth import Principal
from servicekit.errors import Conflict, NotFound

router = APIRouter(prefix="/notices", tags=["notices"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A key unique to this filing (e.g. a UUID); a retry with the same key and "
        "body returns the notice already filed",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=500, description="ETag of the notice revision read"),
]


def notice_etag(notice: Notice) -> str:
    """The ETag of a notice revision."""
    return etag("r", notice.revision)


def _visible_notice(session: Session, principal: Principal, notice_id: str) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("notice")
    ensure_epe_visible(session, principal, epe_id=notice.epe_id, what="notice")
    return notice


@router.post(
    "",
    response_model=NoticePublic,
    status_code=201,
    dependencies=[EpeOnly],
    responses={
        409: {"description": "An open incident already covers this interruption"},
        422: {"description": "Invalid form, unknown camera, or key reused with another body"},
    },
)
def file_notice(
    body: NoticeCreate,
    idempotency_key: IdempotencyKey,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
) -> NoticePublic:
    """File the Appendix II notice of interruption for the caller's own EPE."""
    ensure_own_epe(principal, body.epe_id)
    service.serialise_filings(session, epe_id=body.epe_id)
    notice = service.replay(session, epe_id=body.epe_id, key=idempotency_key, body=body)
    if notice is not None:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        try:
            notice = service.file_notice(
                session, ctx, body=body, key=idempotency_key, actor=Actor.of(principal)
            )
            session.commit()
        except IntegrityError:
            # Filings of one EPE are serialised, so this is a writer that bypassed that order:
            # answer with the notice a same-key request filed, or a conflict; never a 500.
            session.rollback()
            notice = service.replay(session, epe_id=body.epe_id, key=idempotency_key, body=body)
            if notice is None:
                raise Conflict("a concurrent filing changed this EPE's incidents; retry") from None
            response.headers["Idempotent-Replayed"] = "true"
    response.headers["ETag"] = notice_etag(notice)
    response.headers["Location"] = f"notices/{notice.id}"
    return service.to_public(session, notice)


@router.get("/{notice_id}", response_model=NoticePublic, dependencies=[CanRead])
def get_notice(
    notice_id: str, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> NoticePublic:
    """The notice at its latest revision (ETag identifies the revision)."""
    notice = _visible_notice(session, principal, notice_id)
    response.headers["ETag"] = notice_etag(notice)
    return service.to_public(session, notice)


@router.put(
    "/{notice_id}",
    response_model=NoticePublic,
    dependencies=[EpeOnly],
    responses={
        409: {"description": "the incident is restored: the notice is final"},
        412: {"description": "If-Match does not match the current revision"},
        428: {"description": "If-Match is required"},
    },
)
def revise_notice(
    notice_id: str,
    body: NoticeUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    response: Response,
    if_match: IfMatch = None,
) -> NoticePublic:
    """Revise the notice (whole form); requires If-Match with the revision's ETag."""
    notice = _visible_notice(session, principal, notice_id)
    ensure_own_epe(principal, notice.epe_id)
    check_if_match(if_match, notice_etag(notice), required=True)
    service.revise_notice(session, ctx, notice, body=body, actor=Actor.of(principal))
    session.commit()
    response.headers["ETag"] = notice_etag(notice)
    return service.to_public(session, notice)


@router.get(
    "/{notice_id}/pdf",
    response_class=Response,
    dependencies=[CanRead],
    responses={200: {"content": {"application/pdf": {}}, "description": "Appendix II form"}},
)
def get_notice_pdf(
    notice_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    revision: Annotated[int | None, Query(ge=1, le=100000)] = None,
) -> Response:
    """The notice as the Appendix II form in Vietnamese (a given revision, or the latest)."""
    notice = _visible_notice(session, principal, notice_id)
    rev = service.latest_revision(session, notice, revision)
    enterprise = session.get(Enterprise, notice.epe_id)
    ids = list(rev.camera_ids) or (
        camera_ids(session, notice.incident_id) if rev.kind == "camera_equipment" else []
    )
    cameras = {
        c.camera_id: c for c in session.exec(select(Camera).where(col(Camera.camera_id).in_(ids)))
    }
    lines = [
        CameraLine(
            number=(cameras[i].number or i) if i in cameras else i,
            position=cameras[i].position_kind if i in cameras else None,
        )
        for i in ids
    ]
    pdf = render_notice_pdf(
        rev,
        incident_id=notice.incident_id,
        filed_at=notice.filed_at,
        unit=enterprise.unit if enterprise else None,
        cameras=lines,
        tz=ctx.calendar.tz,
    )
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="thong-bao-{notice.id}-r{rev.revision}.pdf"',
            "ETag": etag("r", rev.revision),
        },
    )
