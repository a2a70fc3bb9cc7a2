"""The monthly monitoring plan: heads draft, approve or return, and amend; officers record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlmodel import Session, col, select

from risk.deps import SettingsDep
from risk.plan.models import (
    MONTH_PATTERN,
    AmendmentIn,
    AmendmentPublic,
    DraftIn,
    MonitoringPlan,
    PlanAmendment,
    PlanDecisionIn,
    PlanDetail,
    PlanPublic,
    PlanSlot,
    ResultIn,
    SlotPublic,
)
from risk.plan.service import (
    amend,
    decide_plan,
    draft_plan,
    get_plan,
    is_overdue,
    parse_windows,
    record_result,
)
from risk.scoring.service import current_bands, unit_epes
from risk.selectivity.service import latest_lanes
from servicekit.auth import CurrentPrincipal, Principal, Role, require_roles
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.errors import Forbidden, NotFound
from servicekit.workdays import WorkingCalendar

router = APIRouter(
    prefix="/plans",
    tags=["plans"],
    dependencies=[Depends(require_roles(Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT))],
)
HeadOnly = [Depends(require_roles(Role.HEAD_OF_SUBDEPARTMENT))]
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "not allowed in this state"}}


def get_calendar(request: Request) -> WorkingCalendar:
    """The app's working-day calendar (servicekit.workdays)."""
    calendar: WorkingCalendar = request.app.state.calendar
    return calendar


CalendarDep = Annotated[WorkingCalendar, Depends(get_calendar)]


def _unit(principal: Principal) -> str:
    if principal.unit is None:
        raise Forbidden("the caller belongs to no unit")
    return principal.unit


def _slot_public(slot: PlanSlot, now: Any) -> SlotPublic:
    return SlotPublic(**slot.model_dump(), overdue=is_overdue(slot, now))


def _slots(session: Session, plan_id: str) -> list[PlanSlot]:
    query = (
        select(PlanSlot)
        .where(PlanSlot.plan_id == plan_id)
        .order_by(col(PlanSlot.starts_at), col(PlanSlot.epe_id))
    )
    return list(session.exec(query))


def _plan_public(plan: MonitoringPlan, slots: list[PlanSlot], now: Any) -> PlanPublic:
    return PlanPublic(
        **plan.model_dump(),
        slot_count=len(slots),
        overdue_count=sum(1 for s in slots if is_overdue(s, now)),
    )


def _detail(
    session: Session, plan: MonitoringPlan, now: Any, principal: Principal, *, mine: bool = False
) -> PlanDetail:
    slots = _slots(session, plan.id)
    shown = [s for s in slots if not mine or s.officer_id == principal.subject]
    return PlanDetail(
        **_plan_public(plan, slots, now).model_dump(),
        slots=[_slot_public(s, now) for s in shown],
    )


@router.post("", status_code=201, dependencies=HeadOnly, responses=CONFLICT)
def draft_monthly_plan(
    body: DraftIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
    calendar: CalendarDep,
) -> PlanDetail:
    """Draft the unit's plan for a month from EPE levels, the latest selection and the
    officers assigned to each EPE."""
    unit = _unit(principal)
    now = clock.now()
    run_id, lanes = latest_lanes(session, unit=unit)
    plan, _ = draft_plan(
        session,
        unit=unit,
        month=body.month,
        by=principal.subject,
        now=now,
        calendar=calendar,
        windows=parse_windows(settings.plan_windows),
        visits=settings.plan_visits,
        levels=current_bands(session, unit_epes(session, unit)),
        lanes={epe: lane.value for epe, lane in lanes.items()},
        selection_run_id=run_id,
    )
    session.commit()
    return _detail(session, plan, now, principal)


@router.get("")
def list_plans(
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
) -> list[PlanPublic]:
    """The unit's plans (a month's, or the latest 24), newest first."""
    query = select(MonitoringPlan).where(MonitoringPlan.unit == _unit(principal))
    if month is not None:
        query = query.where(MonitoringPlan.month == month)
    plans = session.exec(
        query.order_by(
            col(MonitoringPlan.month).desc(),
            col(MonitoringPlan.drafted_at).desc(),
            col(MonitoringPlan.id).desc(),
        ).limit(24)
    )
    now = clock.now()
    return [_plan_public(p, _slots(session, p.id), now) for p in plans]


@router.get("/{plan_id}")
def get_monthly_plan(
    plan_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    mine: bool = False,
) -> PlanDetail:
    """A plan with its slots (`mine=true`: only the caller's), each marked overdue or not."""
    plan = get_plan(session, unit=_unit(principal), plan_id=plan_id)
    return _detail(session, plan, clock.now(), principal, mine=mine)


@router.post("/{plan_id}/decision", dependencies=HeadOnly, responses=CONFLICT)
def decide_monthly_plan(
    plan_id: str,
    body: PlanDecisionIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> PlanDetail:
    """The head approves the draft or returns it with a reason."""
    plan = get_plan(session, unit=_unit(principal), plan_id=plan_id, lock=True)
    now = clock.now()
    decide_plan(plan, approve=body.approve, reason=body.reason, by=principal.subject, now=now)
    session.add(plan)
    session.commit()
    return _detail(session, plan, now, principal)


@router.post("/{plan_id}/amendments", status_code=201, dependencies=HeadOnly, responses=CONFLICT)
def amend_monthly_plan(
    plan_id: str,
    body: AmendmentIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
    settings: SettingsDep,
    calendar: CalendarDep,
) -> AmendmentPublic:
    """A recorded change to an approved plan (move, reassign, cancel or add a slot)."""
    plan = get_plan(session, unit=_unit(principal), plan_id=plan_id, lock=True)
    amendment = amend(
        session,
        plan,
        body,
        by=principal.subject,
        now=clock.now(),
        calendar=calendar,
        windows=parse_windows(settings.plan_windows),
    )
    session.commit()
    return AmendmentPublic.model_validate(amendment, from_attributes=True)


@router.get("/{plan_id}/amendments")
def list_amendments(
    plan_id: str, session: SessionDep, principal: CurrentPrincipal
) -> list[AmendmentPublic]:
    """The plan's amendments in the order they were made."""
    plan = get_plan(session, unit=_unit(principal), plan_id=plan_id)
    rows = session.exec(
        select(PlanAmendment)
        .where(PlanAmendment.plan_id == plan.id)
        .order_by(col(PlanAmendment.amended_at), col(PlanAmendment.id))
    )
    return [AmendmentPublic.model_validate(r, from_attributes=True) for r in rows]


@router.post("/{plan_id}/slots/{slot_id}/result", responses=CONFLICT)
def record_inspection_result(
    plan_id: str,
    slot_id: str,
    body: ResultIn,
    session: SessionDep,
    principal: CurrentPrincipal,
    clock: ClockDep,
) -> SlotPublic:
    """The officer of the slot (or the head) records the inspection's result; published as
    risk.inspection.recorded.v1."""
    plan = get_plan(session, unit=_unit(principal), plan_id=plan_id)
    slot = session.exec(
        select(PlanSlot)
        .where(PlanSlot.id == slot_id, PlanSlot.plan_id == plan.id)
        .with_for_update()
    ).first()
    if slot is None:
        raise NotFound("slot")
    now = clock.now()
    record_result(
        session,
        plan,
        slot,
        outcome=body.outcome,
        note=body.note,
        by=principal.subject,
        is_head=principal.has(Role.HEAD_OF_SUBDEPARTMENT),
        now=now,
    )
    session.commit()
    return _slot_public(slot, now)
