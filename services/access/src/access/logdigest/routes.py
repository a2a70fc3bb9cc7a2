"""The daily log digests: listed and read by IT operators and auditors, run on demand."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from access.audit import service as audit
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, after_key
from access.logdigest import service as digests
from access.logdigest.models import (
    LogDigest,
    LogDigestPage,
    LogDigestPublic,
    LogDigestRun,
    Trigger,
)
from access.logdigest.timer import run_digest
from access.permissions import LOG_DIGESTS, requires
from servicekit.auth import CurrentPrincipal
from servicekit.db import SessionDep
from servicekit.errors import NotFound, field_error
from servicekit.inputs import Day
from servicekit.pagination import encode_cursor
from servicekit.workdays import VIETNAM_TZ

router = APIRouter(tags=["log digests"])


@router.get("/log-digests", dependencies=[requires(*LOG_DIGESTS)])
def list_digests(
    principal: CurrentPrincipal,
    session: SessionDep,
    day: Annotated[Day | None, Query(description="only the digests of this day")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> LogDigestPage:
    """The digests kept, newest first."""
    rows = digests.list_digests(session, before_id=after_key(cursor), limit=limit + 1, day=day)
    following = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return LogDigestPage(data=[digests.to_public(r) for r in rows[:limit]], next_cursor=following)


@router.get("/log-digests/{digest_id}", dependencies=[requires(*LOG_DIGESTS)])
def get_digest(digest_id: str, principal: CurrentPrincipal, session: SessionDep) -> LogDigestPublic:
    """One digest."""
    digest = session.get(LogDigest, digest_id)
    if digest is None:
        raise NotFound("log digest")
    return digests.to_public(digest)


@router.post(
    "/log-digests",
    status_code=201,
    dependencies=[requires(*LOG_DIGESTS)],
)
async def run_now(
    body: LogDigestRun,
    principal: CurrentPrincipal,
    request: Request,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> LogDigestPublic:
    """Make a digest now, for one day (default: yesterday in Vietnam; today gives the day so
    far); kept beside the daily one. The run is audited."""
    day: date = body.day or digests.yesterday(now)
    if day > now.astimezone(VIETNAM_TZ).date():
        raise field_error("body.day", "must not be a future day (in Vietnam)")
    digest = await run_digest(
        request.app, day=day, trigger=Trigger.ON_DEMAND, requested_by=principal.subject
    )

    def audited() -> None:
        audit.record(
            session,
            context=context,
            action="log_digest.run",
            target=f"log_digest:{digest.id}",
            occurred_at=now,
            details={"day": day.isoformat(), "ok": digest.ok, "anomalies": len(digest.anomalies)},
        )
        session.commit()

    await run_in_threadpool(audited)
    return digests.to_public(digest)
