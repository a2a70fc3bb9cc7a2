"""Reading, verifying, exporting and correcting the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from access.audit import service as audit
from access.audit.anchoring import anchor, read_anchors
from access.audit.models import (
    AnchorPublic,
    AuditPage,
    AuditRecordPublic,
    ChainVerification,
    CorrectionCreate,
)
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, RuntimeDep, after_seq
from access.permissions import AUDITORS, CORRECT_AUDIT, VERIFY_AUDIT, requires
from servicekit.auth import CurrentPrincipal
from servicekit.db import SessionDep
from servicekit.errors import NotFound, Problem, field_error
from servicekit.inputs import Instant
from servicekit.objectstore import STORAGE_ERRORS
from servicekit.pagination import MAX_INT_KEY, page_of

router = APIRouter(tags=["audit"])

SinceQuery = Annotated[Instant | None, Query(description="from this time (inclusive, ISO 8601)")]
UntilQuery = Annotated[Instant | None, Query(description="until this time (exclusive, ISO 8601)")]


def _check_range(since: datetime | None, until: datetime | None) -> None:
    if (
        since is not None
        and until is not None
        and since.replace(tzinfo=None) > until.replace(tzinfo=None)
    ):
        raise field_error("query.until", "must not be before since")


@router.get("/audit/records", dependencies=[requires(*AUDITORS)])
def list_records(
    principal: CurrentPrincipal,
    session: SessionDep,
    since: SinceQuery = None,
    until: UntilQuery = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=300)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> AuditPage:
    """Audit records in order, filtered by time range, action or target."""
    _check_range(since, until)
    rows = audit.list_records(
        session,
        since=since,
        until=until,
        after_seq=after_seq(cursor),
        limit=limit + 1,
        action=action,
        target=target,
    )
    rows, following = page_of(rows, limit, key=lambda r: (r.seq,))
    return AuditPage(
        data=[audit.to_public(r) for r in rows],
        next_cursor=following,
    )


@router.get(
    "/audit/export",
    dependencies=[requires(*AUDITORS)],
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}}, "description": "one record per line"}
    },
)
def export_records(
    principal: CurrentPrincipal,
    request: Request,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> StreamingResponse:
    """Export a time range as JSON lines (the export itself is audited)."""
    _check_range(since, until)
    audit.record(
        session,
        context=context,
        action="audit.exported",
        occurred_at=now,
        details={
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
    )
    session.commit()
    engine = request.app.state.engine

    def lines() -> Iterator[str]:
        with Session(engine) as reader:
            for item in audit.iter_export(reader, since=since, until=until):
                yield item.model_dump_json() + "\n"

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="camwatch-audit.ndjson"'},
    )


@router.get(
    "/audit/verify",
    dependencies=[requires(*VERIFY_AUDIT)],
    responses={503: {"description": "the anchors' object storage is unavailable"}},
)
def verify(
    principal: CurrentPrincipal,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> ChainVerification:
    """Check the keyed chain against its anchors; names the first missing or altered record."""
    try:
        anchors = read_anchors(runtime)
    except STORAGE_ERRORS as exc:
        raise _storage_unavailable() from exc
    result = audit.verify_chain(session, anchors=anchors)
    audit.record(
        session,
        context=context,
        action="audit.verified",
        outcome=audit.SUCCESS if result.ok else audit.FAILURE,
        occurred_at=now,
        details={
            "ok": result.ok,
            "checked": result.records_checked,
            "first_broken": result.first_broken.seq if result.first_broken else None,
            "anchors": result.anchors_checked,
        },
    )
    session.commit()
    return result


def _storage_unavailable() -> Problem:
    return Problem(
        503,
        "Service Unavailable",
        "the audit anchors' object storage is unavailable or holds an unreadable anchor",
    )


@router.post(
    "/audit/anchors",
    status_code=201,
    dependencies=[requires(*VERIFY_AUDIT)],
    responses={
        409: {"description": "anchoring is turned off, or the chain is empty"},
        503: {"description": "the anchors' object storage is unavailable"},
    },
)
def anchor_now(
    principal: CurrentPrincipal,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    context: AuditContextDep,
    now: NowDep,
) -> AnchorPublic:
    """Anchor the chain's head now (besides the hourly timer), e.g. before an inspection."""
    if not runtime.settings.audit_anchor_enabled:
        raise Problem(409, "Conflict", "audit anchoring is turned off in this deployment")
    if audit.head(session).last_seq == 0:
        raise Problem(409, "Conflict", "the audit chain is empty: nothing to anchor")
    session.rollback()
    try:
        made = anchor(request.app.state.engine, runtime, force=True)
    except STORAGE_ERRORS as exc:
        raise _storage_unavailable() from exc
    assert made is not None  # forced on a non-empty chain
    audit.record(
        session,
        context=context,
        action="audit.anchored",
        occurred_at=now,
        details={"seq": made.seq},
    )
    session.commit()
    return AnchorPublic(seq=made.seq, mac=made.mac, anchored_at=made.anchored_at)


@router.post(
    "/audit/records/{seq}/corrections", status_code=201, dependencies=[requires(*CORRECT_AUDIT)]
)
def correct(
    seq: Annotated[int, Path(ge=1, le=MAX_INT_KEY)],
    body: CorrectionCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> AuditRecordPublic:
    """Add a correction: a new record pointing at the corrected one (records never change)."""
    original = audit.get_record(session, seq)
    if original is None:
        raise NotFound("audit record")
    row = audit.record(
        session,
        context=context,
        action="audit.corrected",
        target=original.target,
        reason=body.reason,
        occurred_at=now,
        details={"corrects_action": original.action, **body.details},
        corrects=original.seq,
    )
    session.commit()
    return audit.to_public(row)
