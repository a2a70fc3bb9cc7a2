"""The officers' warning queue and workflow."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from risk.deps import SettingsDep
from risk.projection.service import unit_of
from risk.warnings.models import RiskWarning, Severity, TimelineEntry, WarningState
from risk.warnings.schemas import (
    NO_ACTION,
    AnalyseIn,
    DecideIn,
    Decision,
    EscalateIn,
    NoteIn,
    ProposeIn,
    TimelinePublic,
    WarningCounts,
    WarningDetail,
    WarningPublic,
    WarningsPage,
)
from risk.warnings.service import counts, filtered, get_visible, transition
from servicekit.auth import CurrentPrincipal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import field_error
from servicekit.inputs import CleanStr
from servicekit.pagination import cursor_param, cursor_time, decode_cursor, limit_param, page_of

router = APIRouter(
    prefix="/warnings",
    tags=["warnings"],
    dependencies=[Depends(require_roles(Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT))],
)

STATE_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "the warning is not in a state that allows this step"}
}


def _public(session: Session, warning: RiskWarning) -> WarningPublic:
    return WarningPublic(**warning.model_dump(), unit=unit_of(session, warning.epe_id))


def _filters(
    clock: ClockDep,
    epe_id: Annotated[CleanStr | None, Query(max_length=64)] = None,
    state: WarningState | None = None,
    severity: Severity | None = None,
    rule: Annotated[CleanStr | None, Query(max_length=60)] = None,
    min_age_hours: Annotated[float | None, Query(ge=0, le=100_000)] = None,
    max_age_hours: Annotated[float | None, Query(ge=0, le=100_000)] = None,
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if epe_id is not None:
        conditions.append(col(RiskWarning.epe_id) == epe_id)
    if state is not None:
        conditions.append(col(RiskWarning.state) == state.value)
    if severity is not None:
        conditions.append(col(RiskWarning.severity) == severity.value)
    if rule is not None:
        conditions.append(col(RiskWarning.rule) == rule)
    now = clock.now()
    if min_age_hours is not None:
        conditions.append(col(RiskWarning.raised_at) <= now - timedelta(hours=min_age_hours))
    if max_age_hours is not None:
        conditions.append(col(RiskWarning.raised_at) >= now - timedelta(hours=max_age_hours))
    return conditions


Filters = Annotated[list[ColumnElement[bool]], Depends(_filters)]


@router.get("")
def list_warnings(
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: Filters,
    cursor: Annotated[str | None, cursor_param()] = None,
    limit: Annotated[int, limit_param()] = 50,
) -> WarningsPage:
    """The queue: warnings of the EPEs the caller supervises, oldest first, filterable by
    EPE, state, severity, rule and age."""
    conditions = filtered(session, principal, filters)
    key = decode_cursor(cursor, arity=2)
    if key is not None:
        at, last = cursor_time(key[0]), str(key[1])
        raised, ident = col(RiskWarning.raised_at), col(RiskWarning.id)
        conditions.append((raised > at) | ((raised == at) & (ident > last)))
    query = (
        select(RiskWarning)
        .where(*conditions)
        .order_by(col(RiskWarning.raised_at), col(RiskWarning.id))
        .limit(limit + 1)
    )
    rows, next_cursor = page_of(list(session.exec(query)), limit, lambda w: (w.raised_at, w.id))
    return WarningsPage(data=[_public(session, w) for w in rows], next_cursor=next_cursor)


@router.get("/counts")
def count_warnings(
    session: SessionDep, principal: CurrentPrincipal, filters: Filters
) -> WarningCounts:
    """Counts by state, severity and rule for a dashboard (same filters as the queue)."""
    grouped = counts(session, filtered(session, principal, filters))
    return WarningCounts(
        total=sum(grouped["state"].values()),
        by_state=grouped["state"],
        by_severity=grouped["severity"],
        by_rule=grouped["rule"],
    )


@router.get("/{warning_id}")
def get_warning(warning_id: str, session: SessionDep, principal: CurrentPrincipal) -> WarningDetail:
    """A warning with its explanation and timeline."""
    warning = get_visible(session, principal, warning_id)
    entries = session.exec(
        select(TimelineEntry)
        .where(TimelineEntry.warning_id == warning.id)
        .order_by(col(TimelineEntry.at), col(TimelineEntry.id))
    )
    timeline = [TimelinePublic.model_validate(e, from_attributes=True) for e in entries]
    return WarningDetail(**_public(session, warning).model_dump(), timeline=timeline)


@router.post("/{warning_id}/acknowledge", responses=STATE_CONFLICT)
def acknowledge_warning(
    warning_id: str, session: SessionDep, principal: CurrentPrincipal, clock: ClockDep
) -> WarningPublic:
    """The officer has seen the warning."""
    warning = get_visible(session, principal, warning_id, lock=True)
    transition(
        session,
        warning,
        step="acknowledge",
        to=WarningState.ACKNOWLEDGED,
        principal=principal,
        now=clock.now(),
    )
    session.commit()
    return _public(session, warning)


@router.post("/{warning_id}/analyse", responses=STATE_CONFLICT)
def analyse_warning(
    warning_id: str,
    body: AnalyseIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> WarningPublic:
    """What the officer compared and found."""
    warning = get_visible(session, principal, warning_id, lock=True)
    transition(
        session,
        warning,
        step="analyse",
        to=WarningState.ANALYSED,
        principal=principal,
        now=clock.now(),
        details={"findings": body.findings},
    )
    session.commit()
    return _public(session, warning)


@router.post("/{warning_id}/propose", responses=STATE_CONFLICT)
def propose_action(
    warning_id: str,
    body: ProposeIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
) -> WarningPublic:
    """An action from the configured list (no_action with a reason)."""
    if body.action not in settings.warning_actions:
        raise field_error("body.action", f"one of: {', '.join(settings.warning_actions)}")
    if body.action == NO_ACTION and not body.reason:
        raise field_error("body.reason", "required when no action is proposed")
    warning = get_visible(session, principal, warning_id, lock=True)
    transition(
        session,
        warning,
        step="propose",
        to=WarningState.ACTION_PROPOSED,
        principal=principal,
        now=clock.now(),
        details={"action": body.action, "reason": body.reason},
    )
    session.commit()
    return _public(session, warning)


@router.post("/{warning_id}/close", responses=STATE_CONFLICT)
def close_warning(
    warning_id: str,
    body: NoteIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> WarningPublic:
    """The proposed action is done (or none was needed)."""
    warning = get_visible(session, principal, warning_id, lock=True)
    transition(
        session,
        warning,
        step="close",
        to=WarningState.CLOSED,
        principal=principal,
        now=clock.now(),
        details={"note": body.note},
    )
    session.commit()
    return _public(session, warning)


@router.post("/{warning_id}/escalate", responses=STATE_CONFLICT)
def escalate_warning(
    warning_id: str,
    body: EscalateIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> WarningPublic:
    """Suspected commercial fraud: to the head of sub-department."""
    warning = get_visible(session, principal, warning_id, lock=True)
    transition(
        session,
        warning,
        step="escalate",
        to=WarningState.ESCALATED,
        principal=principal,
        now=clock.now(),
        details={"reason": body.reason},
    )
    session.commit()
    return _public(session, warning)


@router.post("/{warning_id}/decide", responses=STATE_CONFLICT)
def decide_warning(
    warning_id: str,
    body: DecideIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> WarningPublic:
    """The head organises an inspection (closed) or returns the warning to the officer."""
    warning = get_visible(session, principal, warning_id, lock=True)
    inspect = body.decision == Decision.ORGANISE_INSPECTION
    to = WarningState.CLOSED if inspect else WarningState.ANALYSED
    transition(
        session,
        warning,
        step="decide",
        to=to,
        principal=principal,
        now=clock.now(),
        details={"decision": body.decision.value, "note": body.note},
    )
    session.commit()
    return _public(session, warning)
