"""Reading a request's custody trail and checking the whole chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session

from evidence.custody.models import CHAIN
from evidence.custody.schemas import CustodyPage, CustodyVerification
from evidence.custody.service import to_public, trail, verify_chain
from evidence.requests.service import get_visible
from servicekit.auth import CurrentPrincipal, Role, require_roles
from servicekit.chain import AnchorStore
from servicekit.db import SessionDep
from servicekit.errors import Problem
from servicekit.objectstore import STORAGE_ERRORS
from servicekit.pagination import cursor_int, cursor_param, decode_cursor, limit_param, page_of

OFFICIALS = (Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR)
router = APIRouter(tags=["custody"], dependencies=[Depends(require_roles(*OFFICIALS))])
UNAVAILABLE: dict[int | str, dict[str, str]] = {
    503: {"description": "object storage (the anchors) cannot be read"}
}


@router.get("/requests/{request_id}/custody")
def get_trail(
    request_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param()] = 50,
) -> CustodyPage:
    """Every action on the request, its files and package, in chain order (officers assigned
    to the EPE, the unit's head and auditors; never the EPE)."""
    get_visible(session, principal, request_id)
    key = decode_cursor(cursor, arity=1)
    after = cursor_int(key[0]) if key is not None else 0
    rows = trail(session, request_id=request_id, after_seq=after, limit=limit + 1)
    page, next_cursor = page_of(rows, limit, lambda r: (r.seq,))
    return CustodyPage(data=[to_public(r) for r in page], next_cursor=next_cursor)


def check_chain(session: Session, store: AnchorStore) -> CustodyVerification:
    """The chain checked against its key and every anchor in object storage."""
    try:
        anchors = store.read(CHAIN)
    except STORAGE_ERRORS as exc:
        raise Problem(503, "Service Unavailable", "object storage is unavailable") from exc
    return verify_chain(session, anchors=anchors)


@router.get(
    "/custody/verify",
    dependencies=[Depends(require_roles(Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR))],
    responses=UNAVAILABLE,
)
def verify(request: Request, session: SessionDep) -> CustodyVerification:
    """Check the whole custody chain: every record's MAC under the key held outside the
    database and the head against the anchors in Object-Locked storage; names the first
    missing or altered record."""
    return check_chain(session, request.app.state.anchor_store)
