"""Direct data corrections: IT operators prepare and report, heads decide, auditors read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from access.corrections import service as corrections
from access.corrections.models import (
    AppliedReport,
    CorrectionPublic,
    CorrectionsPage,
    CorrectionStatus,
    DataCorrection,
    DataCorrectionCreate,
    DataCorrectionDecision,
    FailedReport,
)
from access.deps import AuditContextDep, CursorQuery, LimitQuery, NowDep, after_key
from access.permissions import HEADS, IT_OPERATORS, READ_CORRECTIONS, ensure_person, requires
from servicekit.auth import CurrentPrincipal, Principal, Role
from servicekit.db import SessionDep
from servicekit.errors import Forbidden, NotFound
from servicekit.pagination import page_of
from servicekit.units import UNIT_MAX_LENGTH

router = APIRouter(tags=["corrections"])


def _scope(principal: Principal, unit: str | None) -> str | None:
    """Auditors see every unit (or the one asked for); operators and heads their own."""
    if principal.has(Role.AUDITOR):
        return unit
    if unit is not None and unit != principal.unit:
        raise Forbidden("operators and heads see their own unit's corrections only")
    return principal.unit


def _readable(session: SessionDep, principal: Principal, correction_id: str) -> DataCorrection:
    row = corrections.get(session, correction_id)
    if not principal.has(Role.AUDITOR) and row.unit != principal.unit:
        raise NotFound("data correction")  # as an unknown id
    return row


@router.post("/corrections", status_code=201, dependencies=[requires(*IT_OPERATORS)])
def prepare(
    body: DataCorrectionCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> CorrectionPublic:
    """An IT operator prepares a correction plan for the head of their unit to approve."""
    ensure_person(principal)
    if principal.unit is None:
        raise Forbidden("an operator without a unit has no head to approve the plan")
    row = corrections.prepare(
        session,
        body=body,
        preparer=principal.subject,
        unit=principal.unit,
        context=context,
        now=now,
    )
    session.commit()
    return corrections.public_view(row)


@router.get("/corrections", dependencies=[requires(*READ_CORRECTIONS)])
def list_corrections(
    principal: CurrentPrincipal,
    session: SessionDep,
    unit: Annotated[str | None, Query(max_length=UNIT_MAX_LENGTH)] = None,
    status: CorrectionStatus | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> CorrectionsPage:
    """Corrections newest first, e.g. `?status=pending` for the head's approval queue."""
    rows = corrections.listing(
        session,
        unit=_scope(principal, unit),
        status=status,
        after=after_key(cursor),
        limit=limit + 1,
    )
    rows, following = page_of(rows, limit, key=lambda r: (r.id,))
    return CorrectionsPage(data=[corrections.public_view(r) for r in rows], next_cursor=following)


@router.get("/corrections/{correction_id}", dependencies=[requires(*READ_CORRECTIONS)])
def get_correction(
    correction_id: str, principal: CurrentPrincipal, session: SessionDep
) -> CorrectionPublic:
    """One correction: the plan, the decision and, once applied, the backup and the change."""
    return corrections.public_view(_readable(session, principal, correction_id))


def _decide(
    approve: bool,
    correction_id: str,
    body: DataCorrectionDecision,
    principal: Principal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> CorrectionPublic:
    ensure_person(principal)
    row = corrections.decide(
        session,
        row=corrections.get(session, correction_id),
        approve=approve,
        decider=principal.subject,
        note=body.note,
        context=context,
        now=now,
    )
    session.commit()
    return corrections.public_view(row)


@router.post(
    "/corrections/{correction_id}/approve",
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "already decided"}},
)
def approve(
    correction_id: str,
    body: DataCorrectionDecision,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> CorrectionPublic:
    """The head of the plan's unit approves it (never their own)."""
    return _decide(True, correction_id, body, principal, session, context, now)


@router.post(
    "/corrections/{correction_id}/refuse",
    dependencies=[requires(*HEADS)],
    responses={409: {"description": "already decided"}},
)
def refuse(
    correction_id: str,
    body: DataCorrectionDecision,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> CorrectionPublic:
    """The head of the plan's unit refuses it; nothing will change."""
    return _decide(False, correction_id, body, principal, session, context, now)


@router.post(
    "/corrections/{correction_id}/start",
    dependencies=[requires(*IT_OPERATORS)],
    responses={409: {"description": "not approved, or already applied or being applied"}},
)
def start(
    correction_id: str,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> CorrectionPublic:
    """The apply command claims the approved plan before taking the backup."""
    ensure_person(principal)
    row = corrections.start(
        session,
        row=_readable(session, principal, correction_id),
        operator=principal.subject,
        context=context,
        now=now,
    )
    session.commit()
    return corrections.public_view(row)


@router.post(
    "/corrections/{correction_id}/applied",
    dependencies=[requires(*IT_OPERATORS)],
    responses={409: {"description": "the correction is not being applied"}},
)
def report_applied(
    correction_id: str,
    body: AppliedReport,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> CorrectionPublic:
    """The apply command reports the verified backup and the change; the minutes are made."""
    ensure_person(principal)
    row = corrections.applied(
        session,
        row=_readable(session, principal, correction_id),
        report=body,
        operator=principal.subject,
        context=context,
        now=now,
    )
    session.commit()
    return corrections.public_view(row)


@router.post(
    "/corrections/{correction_id}/failed",
    dependencies=[requires(*IT_OPERATORS)],
    responses={409: {"description": "the correction is not being applied"}},
)
def report_failed(
    correction_id: str,
    body: FailedReport,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: AuditContextDep,
    now: NowDep,
) -> CorrectionPublic:
    """The apply command reports that it changed nothing, and why."""
    ensure_person(principal)
    row = corrections.failed(
        session,
        row=_readable(session, principal, correction_id),
        report=body,
        operator=principal.subject,
        context=context,
        now=now,
    )
    session.commit()
    return corrections.public_view(row)


@router.get(
    "/corrections/{correction_id}/minutes",
    dependencies=[requires(*READ_CORRECTIONS)],
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the minutes, in Vietnamese"},
        404: {"description": "unknown, or not applied (no minutes yet)"},
    },
)
def minutes(correction_id: str, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The minutes of an applied correction, as stored when it was reported applied."""
    row = _readable(session, principal, correction_id)
    if row.minutes_pdf is None:
        raise NotFound("minutes (the correction has not been applied)")
    return Response(
        content=row.minutes_pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="bien-ban-sua-du-lieu-{row.id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
