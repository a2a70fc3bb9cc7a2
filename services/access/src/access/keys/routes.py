"""Signing-key administration for IT operators (discovery and JWKS are in oauth.routes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from access.audit import service as audit
from access.deps import AuditContextDep, NowDep, RuntimeDep
from access.keys import service as signing
from access.keys.models import SigningKeyInfo
from access.permissions import MANAGE_KEYS, requires
from servicekit.auth import CurrentPrincipal
from servicekit.db import SessionDep

router = APIRouter(tags=["keys"], dependencies=[requires(*MANAGE_KEYS)])


@router.get("/signing-keys")
def list_signing_keys(
    principal: CurrentPrincipal, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> list[SigningKeyInfo]:
    """Every signing key: which one signs, which are still published."""
    return signing.key_lifecycle(session, runtime=runtime, now=now)


@router.post("/signing-keys/rotate", status_code=201)
def rotate_signing_key(
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
    activate_in: Annotated[
        int | None, Query(ge=0, le=86400, description="seconds of pre-publication")
    ] = None,
) -> SigningKeyInfo:
    """A new signing key; the old one stays published until its tokens have expired."""
    row = signing.rotate(session, runtime=runtime, now=now, activate_in=activate_in)
    audit.record(
        session,
        context=context,
        action="keys.signing_rotated",
        target=f"kid:{row.kid}",
        occurred_at=now,
    )
    session.commit()
    info = next(
        i for i in signing.key_lifecycle(session, runtime=runtime, now=now) if i.kid == row.kid
    )
    return info
