"""The monthly plan: drafting from levels, lanes and assignments; approval; amendments; results.

An approved plan is never edited in place: every change is an amendment row keeping the slot
before and after (seed 2 §3). Results are recorded once per slot and published as
risk.inspection.recorded.v1 through the outbox.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from risk.assignments.models import OfficerAssignment
from risk.plan.drafting import Need, Window, draft_slots
from risk.plan.events import InspectionRecorded
from risk.plan.models import (
    AmendmentIn,
    AmendmentKind,
    MonitoringPlan,
    Outcome,
    PlanAmendment,
    PlanSlot,
    PlanState,
    SlotState,
)
from risk.projection.models import Enterprise
from servicekit.errors import Conflict, Forbidden, NotFound, field_error
from servicekit.events import add_event
from servicekit.ids import new_id
from servicekit.workdays import WorkingCalendar


def parse_windows(windows: list[str]) -> list[Window]:
    """Settings' "HH:MM-HH:MM" windows (checked when the settings load)."""
    return [Window(time.fromisoformat(w[:5]), time.fromisoformat(w[6:])) for w in windows]


def working_days(calendar: WorkingCalendar, month: str) -> list[date]:
    """The working days of a YYYY-MM month (weekends, holidays incl. Tet and swaps applied)."""
    year, number = int(month[:4]), int(month[5:])
    days = (date(year, number, d) for d in range(1, monthrange(year, number)[1] + 1))
    return [day for day in days if calendar.is_working_day(day)]


def officers_by_epe(session: Session, unit: str) -> dict[str, tuple[str, ...]]:
    """Officers currently assigned to each EPE of the unit."""
    rows = session.exec(
        select(OfficerAssignment.epe_id, OfficerAssignment.officer_id).where(
            OfficerAssignment.unit == unit, col(OfficerAssignment.active).is_(True)
        )
    )
    result: dict[str, set[str]] = {}
    for epe_id, officer in rows:
        result.setdefault(epe_id, set()).add(officer)
    return {epe_id: tuple(sorted(officers)) for epe_id, officers in result.items()}


def draft_plan(
    session: Session,
    *,
    unit: str,
    month: str,
    by: str,
    now: datetime,
    calendar: WorkingCalendar,
    windows: list[Window],
    visits: dict[str, int],
    levels: dict[str, str],
    lanes: dict[str, str],
    selection_run_id: str | None,
) -> tuple[MonitoringPlan, list[PlanSlot]]:
    """A draft: every EPE of the unit at least once, more often by level and lane."""
    open_plan = session.exec(
        select(MonitoringPlan.id).where(
            MonitoringPlan.unit == unit,
            MonitoringPlan.month == month,
            col(MonitoringPlan.state).in_([PlanState.DRAFT, PlanState.APPROVED]),
        )
    ).first()
    if open_plan is not None:
        raise Conflict("the unit already has a draft or approved plan for this month")
    days = working_days(calendar, month)
    epes = list(session.exec(select(Enterprise.epe_id).where(Enterprise.unit == unit)))
    assigned = officers_by_epe(session, unit)
    least = min(visits.values(), default=1)
    needs = [
        Need(
            epe_id=epe_id,
            visits=max(
                least,
                1,
                visits.get(levels.get(epe_id, ""), 0),
                visits.get(lanes.get(epe_id, ""), 0),
            ),
            officers=assigned.get(epe_id, ()),
        )
        for epe_id in sorted(epes)
    ]
    drafted = draft_slots(needs, days, windows, calendar.tz)
    plan = MonitoringPlan(
        id=new_id(),
        unit=unit,
        month=month,
        state=PlanState.DRAFT,
        selection_run_id=selection_run_id,
        basis={
            "working_days": [d.isoformat() for d in days],
            "visits": {n.epe_id: n.visits for n in needs},
            "levels": {e: levels[e] for e in sorted(epes) if e in levels},
            "lanes": {e: lanes[e] for e in sorted(epes) if e in lanes},
            "unassigned_epes": [n.epe_id for n in needs if not n.officers],
        },
        drafted_by=by,
        drafted_at=now,
    )
    slots = [
        PlanSlot(
            id=new_id(),
            plan_id=plan.id,
            epe_id=s.epe_id,
            officer_id=s.officer_id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            state=SlotState.PLANNED,
        )
        for s in drafted
    ]
    session.add(plan)
    session.add_all(slots)
    return plan, slots


def get_plan(session: Session, *, unit: str, plan_id: str, lock: bool = False) -> MonitoringPlan:
    """A plan of the caller's unit, or 404."""
    query = select(MonitoringPlan).where(MonitoringPlan.id == plan_id, MonitoringPlan.unit == unit)
    if lock:
        query = query.with_for_update()
    plan = session.exec(query).first()
    if plan is None:
        raise NotFound("plan")
    return plan


def decide_plan(
    plan: MonitoringPlan, *, approve: bool, reason: str | None, by: str, now: datetime
) -> None:
    """The head approves the draft, or returns it with a reason (a new draft follows)."""
    if plan.state != PlanState.DRAFT:
        raise Conflict("only a draft can be approved or returned")
    if not approve and reason is None:
        raise field_error("body.reason", "a returned plan needs a reason")
    plan.state = PlanState.APPROVED if approve else PlanState.RETURNED
    plan.decided_by, plan.decided_at = by, now
    plan.return_reason = None if approve else reason


def _snapshot(slot: PlanSlot) -> dict[str, Any]:
    return {
        "epe_id": slot.epe_id,
        "officer_id": slot.officer_id,
        "starts_at": slot.starts_at.isoformat(),
        "ends_at": slot.ends_at.isoformat(),
        "state": slot.state,
    }


def _fit_window(
    starts_at: datetime, *, month: str, calendar: WorkingCalendar, windows: list[Window]
) -> datetime:
    """The end of the window that starts at `starts_at`, on a working day of the month."""
    local = starts_at.astimezone(calendar.tz)
    if local.strftime("%Y-%m") != month or not calendar.is_working_day(local.date()):
        raise field_error("body.starts_at", "not on a working day of the plan's month")
    for window in windows:
        if local.time() == window.start:
            return datetime.combine(local.date(), window.end, calendar.tz).astimezone(UTC)
    starts = ", ".join(w.start.isoformat("minutes") for w in windows)
    raise field_error("body.starts_at", f"an inspection window starts at {starts} local time")


def _check_officer(session: Session, unit: str, epe_id: str, officer: str | None) -> None:
    if officer is None:
        return
    if officer not in officers_by_epe(session, unit).get(epe_id, ()):
        raise field_error("body.officer_id", "not an officer assigned to this EPE")


def _check_free(session: Session, plan_id: str, officer: str | None, starts_at: datetime) -> None:
    if officer is None:
        return
    taken = session.exec(
        select(func.count())
        .select_from(PlanSlot)
        .where(
            PlanSlot.plan_id == plan_id,
            PlanSlot.officer_id == officer,
            PlanSlot.starts_at == starts_at,
            PlanSlot.state == SlotState.PLANNED,
        )
    ).one()
    if taken:
        raise Conflict("the officer already has an inspection in this window")


def _planned_slot(session: Session, plan: MonitoringPlan, slot_id: str | None) -> PlanSlot:
    if slot_id is None:
        raise field_error("body.slot_id", "required for this kind of amendment")
    slot = session.get(PlanSlot, slot_id)
    if slot is None or slot.plan_id != plan.id:
        raise field_error("body.slot_id", "no such slot in this plan")
    if slot.state != SlotState.PLANNED:
        raise Conflict("only a planned slot can be amended")
    return slot


def amend(
    session: Session,
    plan: MonitoringPlan,
    change: AmendmentIn,
    *,
    by: str,
    now: datetime,
    calendar: WorkingCalendar,
    windows: list[Window],
) -> PlanAmendment:
    """Apply one recorded amendment to an approved plan."""
    if plan.state != PlanState.APPROVED:
        raise Conflict("only an approved plan is amended (a draft is returned and drafted again)")
    if change.kind == AmendmentKind.ADD:
        slot, before = _added(session, plan, change, calendar=calendar, windows=windows), None
    else:
        slot = _planned_slot(session, plan, change.slot_id)
        before = _snapshot(slot)
        if change.kind == AmendmentKind.CANCEL:
            slot.state = SlotState.CANCELLED
        elif change.kind == AmendmentKind.REASSIGN:
            if change.officer_id is None:
                raise field_error("body.officer_id", "required to reassign")
            _check_officer(session, plan.unit, slot.epe_id, change.officer_id)
            _check_free(session, plan.id, change.officer_id, slot.starts_at)
            slot.officer_id = change.officer_id
        else:
            if change.starts_at is None:
                raise field_error("body.starts_at", "required to move a slot")
            ends = _fit_window(
                change.starts_at, month=plan.month, calendar=calendar, windows=windows
            )
            _check_free(session, plan.id, slot.officer_id, change.starts_at)
            slot.starts_at, slot.ends_at = change.starts_at, ends
        session.add(slot)
    amendment = PlanAmendment(
        id=new_id(),
        plan_id=plan.id,
        slot_id=slot.id,
        kind=change.kind,
        before=before,
        after=_snapshot(slot),
        reason=change.reason,
        amended_by=by,
        amended_at=now,
    )
    session.add(amendment)
    return amendment


def _added(
    session: Session,
    plan: MonitoringPlan,
    change: AmendmentIn,
    *,
    calendar: WorkingCalendar,
    windows: list[Window],
) -> PlanSlot:
    if change.epe_id is None:
        raise field_error("body.epe_id", "required to add a slot")
    epe = session.get(Enterprise, change.epe_id)
    if epe is None or epe.unit != plan.unit:
        raise field_error("body.epe_id", "not an EPE of the plan's unit")
    if change.starts_at is None:
        raise field_error("body.starts_at", "required to add a slot")
    ends = _fit_window(change.starts_at, month=plan.month, calendar=calendar, windows=windows)
    _check_officer(session, plan.unit, change.epe_id, change.officer_id)
    _check_free(session, plan.id, change.officer_id, change.starts_at)
    slot = PlanSlot(
        id=new_id(),
        plan_id=plan.id,
        epe_id=change.epe_id,
        officer_id=change.officer_id,
        starts_at=change.starts_at,
        ends_at=ends,
        state=SlotState.PLANNED,
    )
    session.add(slot)
    session.flush()
    return slot


def record_result(
    session: Session,
    plan: MonitoringPlan,
    slot: PlanSlot,
    *,
    outcome: Outcome,
    note: str | None,
    by: str,
    is_head: bool,
    now: datetime,
) -> None:
    """The slot's officer (or the head) records the result once; it is published."""
    if plan.state != PlanState.APPROVED:
        raise Conflict("results are recorded on an approved plan")
    if slot.officer_id != by and not is_head:
        raise Forbidden("only the slot's officer or the head records its result")
    if slot.state != SlotState.PLANNED:
        raise Conflict("this slot's result is already recorded or it was cancelled")
    if outcome != Outcome.DONE and note is None:
        raise field_error("body.note", "findings and not-done results need a note")
    if slot.starts_at > now:
        raise Conflict("an inspection is recorded once its slot has started")
    slot.state = SlotState(outcome.value)
    slot.result_note, slot.recorded_by, slot.recorded_at = note, by, now
    session.add(slot)
    add_event(
        session,
        InspectionRecorded(
            slot_id=slot.id,
            plan_id=plan.id,
            epe_id=slot.epe_id,
            unit=plan.unit,
            officer_id=slot.officer_id,
            outcome=outcome.value,
            planned_start=slot.starts_at,
            planned_end=slot.ends_at,
            recorded_by=by,
            recorded_at=now,
        ),
        subject=slot.epe_id,
    )


def is_overdue(slot: PlanSlot, now: datetime) -> bool:
    """A planned slot whose window has ended without a result."""
    return slot.state == SlotState.PLANNED and slot.ends_at < now
