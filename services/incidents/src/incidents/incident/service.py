"""The incident lifecycle: open, link, agree a plan, restore, close, extend; every step on the
timeline. Keyword-only functions, no HTTP, no commit (the route or handler commits once)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.incident.events import (
    ExtensionFiled,
    IncidentClosed,
    IncidentRestored,
    PlanAgreed,
)
from incidents.incident.models import (
    UNRESTORED_STATES,
    Assignment,
    ChannelType,
    Extension,
    Incident,
    IncidentCamera,
    IncidentKind,
    IncidentState,
    Promptness,
    TimelineEntry,
)
from incidents.permissions import Actor
from incidents.projection.models import Enterprise
from incidents.settings import Settings
from servicekit.errors import Conflict, field_error
from servicekit.events import EventPayload, add_event
from servicekit.ids import new_id

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far ahead of our clock a reported time may be (clock skew of the EPE's software)."""


def restoration_working_days(settings: Settings, kind: IncidentKind) -> int:
    """The restoration period of a kind of trouble (Decision I.2.3.a-b)."""
    if kind is IncidentKind.TRANSMISSION_CHANNEL:
        return settings.channel_restoration_working_days
    return settings.equipment_restoration_working_days


def record(
    session: Session,
    incident: Incident,
    *,
    actor: Actor,
    action: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Append an entry to the incident's timeline."""
    entry = TimelineEntry(
        incident_id=incident.id,
        at=at,
        actor=actor.subject,
        actor_kind=actor.kind,
        action=action,
        details=details or {},
    )
    session.add(entry)
    return entry


def touch(incident: Incident, at: datetime) -> None:
    """A new version of the incident (its ETag changes)."""
    incident.version += 1
    incident.updated_at = at


def camera_ids(session: Session, incident_id: str) -> list[str]:
    """The cameras of an incident, sorted."""
    rows = session.exec(
        select(IncidentCamera.camera_id)
        .where(IncidentCamera.incident_id == incident_id)
        .order_by(col(IncidentCamera.camera_id))
    )
    return list(rows)


def add_cameras(
    session: Session, incident: Incident, cameras: Sequence[str], at: datetime
) -> list[str]:
    """Attach cameras to an incident; returns those that were not attached yet."""
    known = set(camera_ids(session, incident.id))
    added = [c for c in cameras if c not in known]
    for camera_id in added:
        session.add(IncidentCamera(incident_id=incident.id, camera_id=camera_id, added_at=at))
    return added


def set_deadline(incident: Incident, ctx: Context) -> None:
    """Compute the deadline from the opening time (the day of opening is not counted)."""
    days = restoration_working_days(ctx.settings, IncidentKind(incident.kind))
    deadline = ctx.calendar.deadline(incident.opened_at, days)
    incident.deadline_working_days = days
    incident.deadline_date = deadline.last_day
    incident.deadline_at = deadline.ends_at
    incident.approaching_at = deadline.approaching_at
    grace_day = ctx.calendar.add_working_days(
        deadline.last_day, ctx.settings.extension_grace_working_days
    )
    incident.extension_due_at = ctx.calendar.end_of_day(grace_day)


def find_previous(
    session: Session,
    *,
    epe_id: str,
    kind: IncidentKind,
    cameras: Sequence[str],
    opened_at: datetime,
    window_days: int,
    exclude: str | None = None,
) -> str | None:
    """The latest earlier incident of the same cameras (or channel) restored within the window."""
    if window_days <= 0:
        return None
    since = opened_at - timedelta(days=window_days)
    query = select(Incident).where(
        Incident.epe_id == epe_id,
        col(Incident.restored_at).is_not(None),
        col(Incident.restored_at) >= since,
        col(Incident.restored_at) <= opened_at,
    )
    if exclude:
        query = query.where(Incident.id != exclude)
    if kind is IncidentKind.TRANSMISSION_CHANNEL or not cameras:
        query = query.where(Incident.kind == IncidentKind.TRANSMISSION_CHANNEL.value)
    else:
        shared = select(IncidentCamera.incident_id).where(
            col(IncidentCamera.camera_id).in_(list(cameras))
        )
        query = query.where(col(Incident.id).in_(shared))
    previous = session.exec(query.order_by(col(Incident.restored_at).desc()).limit(1)).first()
    return previous.id if previous else None


def open_incident(
    session: Session,
    ctx: Context,
    *,
    epe_id: str,
    kind: IncidentKind,
    channel: ChannelType | None,
    cameras: Sequence[str],
    opened_at: datetime,
    detected: bool,
    actor: Actor,
) -> Incident:
    """Open an incident (detected, or notified by the EPE), with its deadline and any
    earlier incident it recurs from."""
    incident = Incident(
        id=new_id(),
        epe_id=epe_id,
        kind=kind.value,
        channel=channel.value if channel else None,
        state=(IncidentState.DETECTED if detected else IncidentState.NOTIFIED).value,
        detected=detected,
        opened_at=opened_at,
        notified_at=None if detected else opened_at,
        deadline_working_days=0,
        deadline_date=opened_at.date(),
        deadline_at=opened_at,
        approaching_at=opened_at,
        extension_due_at=opened_at,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    set_deadline(incident, ctx)
    incident.previous_incident_id = find_previous(
        session,
        epe_id=epe_id,
        kind=kind,
        cameras=cameras,
        opened_at=opened_at,
        window_days=ctx.settings.recurrence_window_days,
    )
    session.add(incident)
    session.flush()
    add_cameras(session, incident, cameras, ctx.now)
    record(
        session,
        incident,
        actor=actor,
        action="detected" if detected else "opened",
        at=ctx.now,
        details={
            "kind": kind.value,
            "channel": incident.channel,
            "camera_ids": sorted(cameras),
            "opened_at": opened_at.isoformat(),
            "deadline_at": incident.deadline_at.isoformat(),
            "previous_incident_id": incident.previous_incident_id,
        },
    )
    return incident


def mark_notified(
    session: Session,
    ctx: Context,
    incident: Incident,
    *,
    kind: IncidentKind,
    channel: ChannelType | None,
    cameras: Sequence[str],
) -> None:
    """A notice answers a detected incident: it becomes notified, of the notice's kind, with
    its cameras and any earlier incident it recurs from."""
    incident.state = IncidentState.NOTIFIED.value
    incident.notified_at = ctx.now
    incident.kind = kind.value
    incident.channel = channel.value if channel else None
    set_deadline(incident, ctx)  # still counted from detection: the EPE gains no time
    add_cameras(session, incident, cameras, ctx.now)
    if incident.previous_incident_id is None:
        incident.previous_incident_id = find_previous(
            session,
            epe_id=incident.epe_id,
            kind=kind,
            cameras=cameras,
            opened_at=incident.opened_at,
            window_days=ctx.settings.recurrence_window_days,
            exclude=incident.id,
        )
    touch(incident, ctx.now)


def amend(
    session: Session,
    ctx: Context,
    incident: Incident,
    *,
    channel: ChannelType | None,
    cameras: Sequence[str],
) -> list[str]:
    """A revised notice adds cameras (never removes one) and may name the channel; returns
    the cameras added."""
    added = add_cameras(session, incident, cameras, ctx.now)
    incident.channel = channel.value if channel else incident.channel
    touch(incident, ctx.now)
    return added


def mark_overdue(session: Session, incident: Incident, at: datetime) -> None:
    """The deadline passed unrestored: overdue since the deadline (once)."""
    if incident.overdue_since is None:
        incident.overdue_since = incident.deadline_at
        touch(incident, at)
        session.add(incident)


def open_covering(session: Session, *, epe_id: str, camera_id: str) -> Incident | None:
    """An unrestored incident that covers a camera: it names the camera, or the EPE's channel
    is down (a channel interruption cuts every camera off)."""
    by_camera = select(IncidentCamera.incident_id).where(IncidentCamera.camera_id == camera_id)
    query = (
        select(Incident)
        .where(
            Incident.epe_id == epe_id,
            col(Incident.state).in_([s.value for s in UNRESTORED_STATES]),
        )
        .where(
            col(Incident.id).in_(by_camera)
            | (
                (Incident.kind == IncidentKind.TRANSMISSION_CHANNEL.value)
                & (Incident.state != IncidentState.DETECTED.value)
            )
        )
        .order_by(col(Incident.opened_at))
    )
    return session.exec(query.limit(1)).first()


def facts(session: Session, incident: Incident) -> dict[str, Any]:
    """The fields every incident event carries."""
    enterprise = session.get(Enterprise, incident.epe_id)
    return {
        "incident_id": incident.id,
        "epe_id": incident.epe_id,
        "unit": enterprise.unit if enterprise else None,
        "kind": IncidentKind(incident.kind),
        "camera_ids": camera_ids(session, incident.id),
    }


def emit(session: Session, payload: EventPayload, incident: Incident) -> None:
    """Publish an event about an incident through the outbox (same transaction)."""
    add_event(session, payload, subject=incident.id)


def require_state(incident: Incident, allowed: Sequence[IncidentState], doing: str) -> None:
    """409 when the incident is not in a state that allows the step."""
    if IncidentState(incident.state) not in allowed:
        names = ", ".join(s.value for s in allowed)
        raise Conflict(
            f"cannot {doing} while the incident is {incident.state} (allowed: {names})",
            state=incident.state,
        )


def agree_plan(
    session: Session, ctx: Context, incident: Incident, *, plan: str, actor: Actor
) -> None:
    """Customs records the surveillance plan agreed pending repair."""
    require_state(
        incident, [IncidentState.NOTIFIED, IncidentState.PLAN_AGREED], "record a surveillance plan"
    )
    revised = incident.state == IncidentState.PLAN_AGREED
    incident.state = IncidentState.PLAN_AGREED.value
    incident.plan = plan
    incident.plan_agreed_at = ctx.now
    touch(incident, ctx.now)
    record(
        session,
        incident,
        actor=actor,
        action="plan_revised" if revised else "plan_agreed",
        at=ctx.now,
        details={"plan": plan},
    )
    emit(
        session,
        PlanAgreed(**facts(session, incident), plan_agreed_at=ctx.now, agreed_by=actor.subject),
        incident,
    )


def has_extension(session: Session, incident_id: str, *, before: datetime | None = None) -> bool:
    """Whether the EPE filed an extension notice (before an instant, if given)."""
    query = select(func.count()).select_from(Extension).where(Extension.incident_id == incident_id)
    if before is not None:
        query = query.where(col(Extension.filed_at) <= before)
    return bool(session.exec(query).one())


def promptness_of(incident: Incident, restored_at: datetime, *, extension: bool) -> Promptness:
    """Early: with at least one working day to spare; on time: by 24:00 of the last day."""
    if restored_at <= incident.approaching_at:
        return Promptness.EARLY
    if restored_at <= incident.deadline_at:
        return Promptness.ON_TIME
    return Promptness.LATE_WITH_EXTENSION if extension else Promptness.LATE_WITHOUT_EXTENSION


def restore(
    session: Session,
    ctx: Context,
    incident: Incident,
    *,
    restored_at: datetime,
    note: str | None,
    actor: Actor,
) -> None:
    """Mark the incident restored at `restored_at`, with its promptness, and publish it."""
    extension = has_extension(session, incident.id, before=ctx.now)
    promptness = promptness_of(incident, restored_at, extension=extension)
    incident.state = IncidentState.RESTORED.value
    incident.restored_at = restored_at
    incident.promptness = promptness.value
    touch(incident, ctx.now)
    record(
        session,
        incident,
        actor=actor,
        action="restored",
        at=ctx.now,
        details={"restored_at": restored_at.isoformat(), "note": note, "promptness": promptness},
    )
    emit(
        session,
        IncidentRestored(
            **facts(session, incident),
            restored_at=restored_at,
            deadline_at=incident.deadline_at,
            promptness=promptness,
        ),
        incident,
    )


def report_restoration(
    session: Session,
    ctx: Context,
    incident: Incident,
    *,
    restored_at: datetime,
    note: str | None,
    actor: Actor,
) -> None:
    """The EPE reports the time its system worked again."""
    require_state(
        incident, [IncidentState.NOTIFIED, IncidentState.PLAN_AGREED], "report the restoration"
    )
    if restored_at > ctx.now + FUTURE_TOLERANCE:
        raise field_error("body.restored_at", "must not be in the future")
    if restored_at < incident.opened_at:
        raise field_error("body.restored_at", "must not be before the interruption was reported")
    restore(session, ctx, incident, restored_at=restored_at, note=note, actor=actor)


def working_days_used(ctx: Context, incident: Incident) -> int:
    """Working days from the day after opening up to the day of restoration."""
    if incident.restored_at is None:
        return 0
    opened_on = ctx.calendar.local_date(incident.opened_at)
    restored_on = ctx.calendar.local_date(incident.restored_at)
    return len(ctx.calendar.working_days_between(opened_on, restored_on))


def close(
    session: Session, ctx: Context, incident: Incident, *, note: str | None, actor: Actor
) -> None:
    """An officer confirms the restoration; publishes the promptness for risk scoring."""
    require_state(incident, [IncidentState.RESTORED], "close the incident")
    assert incident.restored_at is not None and incident.promptness is not None
    incident.state = IncidentState.CLOSED.value
    incident.closed_at = ctx.now
    touch(incident, ctx.now)
    record(session, incident, actor=actor, action="closed", at=ctx.now, details={"note": note})
    emit(
        session,
        IncidentClosed(
            **facts(session, incident),
            opened_at=incident.opened_at,
            restored_at=incident.restored_at,
            closed_at=ctx.now,
            deadline_at=incident.deadline_at,
            deadline_working_days=incident.deadline_working_days,
            working_days_used=working_days_used(ctx, incident),
            promptness=Promptness(incident.promptness),
            extension_filed=has_extension(session, incident.id),
            detected=incident.detected,
        ),
        incident,
    )


def file_extension(
    session: Session,
    ctx: Context,
    incident: Incident,
    *,
    reasons: str,
    expected_completion_at: datetime,
    actor: Actor,
) -> Extension:
    """The EPE's notification of specific reasons and expected completion time."""
    require_state(
        incident, [IncidentState.NOTIFIED, IncidentState.PLAN_AGREED], "file an extension notice"
    )
    if expected_completion_at <= ctx.now:
        raise field_error("body.expected_completion_at", "must be in the future")
    extension = Extension(
        id=new_id(),
        incident_id=incident.id,
        reasons=reasons,
        expected_completion_at=expected_completion_at,
        filed_at=ctx.now,
        filed_on=ctx.calendar.local_date(ctx.now),
        filed_by=actor.subject,
    )
    session.add(extension)
    touch(incident, ctx.now)
    record(
        session,
        incident,
        actor=actor,
        action="extension_filed",
        at=ctx.now,
        details={
            "extension_id": extension.id,
            "reasons": reasons,
            "expected_completion_at": expected_completion_at.isoformat(),
            "after_deadline": ctx.now > incident.deadline_at,
        },
    )
    emit(
        session,
        ExtensionFiled(
            **facts(session, incident),
            extension_id=extension.id,
            filed_at=ctx.now,
            expected_completion_at=expected_completion_at,
        ),
        incident,
    )
    return extension


def assign(
    session: Session, ctx: Context, incident: Incident, *, officer: str, actor: Actor
) -> bool:
    """Appoint an officer to follow the repair; False when already assigned."""
    if session.get(Assignment, (incident.id, officer)) is not None:
        return False
    require_state(incident, [*UNRESTORED_STATES], "assign an officer")
    session.add(
        Assignment(
            incident_id=incident.id, officer=officer, assigned_by=actor.subject, assigned_at=ctx.now
        )
    )
    touch(incident, ctx.now)
    record(
        session,
        incident,
        actor=actor,
        action="officer_assigned",
        at=ctx.now,
        details={"officer": officer},
    )
    return True


def assigned_officers(session: Session, incident_id: str) -> list[str]:
    """Officers appointed to an incident."""
    rows = session.exec(
        select(Assignment.officer)
        .where(Assignment.incident_id == incident_id)
        .order_by(col(Assignment.officer))
    )
    return list(rows)
