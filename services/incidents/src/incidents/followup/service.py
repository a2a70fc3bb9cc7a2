"""Follow-ups: record the day's troubleshooting update; find working days without one."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.followup.models import FollowUp
from incidents.incident.models import UNRESTORED_STATES, Incident
from incidents.incident.service import assigned_officers, record, require_state
from incidents.permissions import Actor
from servicekit.errors import Forbidden
from servicekit.ids import new_id
from servicekit.workdays import WorkingCalendar


def record_follow_up(
    session: Session,
    ctx: Context,
    incident: Incident,
    *,
    note: str,
    actor: Actor,
    is_head: bool = False,
) -> FollowUp:
    """An assigned officer (or any follower of the unit while none is assigned) reports."""
    require_state(incident, list(UNRESTORED_STATES), "record a follow-up")
    officers = assigned_officers(session, incident.id)
    if officers and actor.subject not in officers and not is_head:
        raise Forbidden("only the officers assigned to this incident record its follow-up")
    follow_up = FollowUp(
        id=new_id(),
        incident_id=incident.id,
        day=ctx.calendar.local_date(ctx.now),
        note=note,
        recorded_by=actor.subject,
        recorded_at=ctx.now,
    )
    session.add(follow_up)
    record(
        session,
        incident,
        actor=actor,
        action="follow_up_recorded",
        at=ctx.now,
        details={"follow_up_id": follow_up.id, "day": follow_up.day.isoformat(), "note": note},
    )
    return follow_up


def days_due(
    calendar: WorkingCalendar, incident: Incident, *, today: date, lookback_days: int | None = None
) -> list[date]:
    """Working days that have ended on which the incident was open from the start of the day:
    after the day it opened, before today, and before the day it was restored."""
    opened_on = calendar.local_date(incident.opened_at)
    last = today - timedelta(days=1)
    if incident.restored_at is not None:
        last = min(last, calendar.local_date(incident.restored_at) - timedelta(days=1))
    start = opened_on
    if lookback_days is not None:
        start = max(start, today - timedelta(days=lookback_days + 1))
    return calendar.working_days_between(start, last)


def days_with_follow_up(session: Session, incident_id: str) -> set[date]:
    """Days on which a follow-up was recorded."""
    rows = session.exec(select(col(FollowUp.day)).where(FollowUp.incident_id == incident_id))
    return set(rows)


def missed_days(
    session: Session,
    calendar: WorkingCalendar,
    incident: Incident,
    *,
    today: date,
    lookback_days: int | None = None,
) -> list[date]:
    """Working days that ended without a follow-up (shown on the incident, reminded once)."""
    done = days_with_follow_up(session, incident.id)
    due = days_due(calendar, incident, today=today, lookback_days=lookback_days)
    return [day for day in due if day not in done]


def list_follow_ups(
    session: Session, incident_id: str, *, after: tuple[datetime, str] | None, limit: int
) -> list[FollowUp]:
    """Follow-ups of an incident in the order recorded."""
    query = select(FollowUp).where(FollowUp.incident_id == incident_id)
    if after is not None:
        at, last_id = after
        query = query.where(
            (col(FollowUp.recorded_at) > at)
            | ((col(FollowUp.recorded_at) == at) & (col(FollowUp.id) > last_id))
        )
    return list(
        session.exec(query.order_by(col(FollowUp.recorded_at), col(FollowUp.id)).limit(limit))
    )
