"""Read side of incidents: what a caller sees, and lists scoped to the caller."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.followup.service import missed_days
from incidents.incident.models import (
    UNRESTORED_STATES,
    ChannelType,
    Extension,
    ExtensionPublic,
    Incident,
    IncidentKind,
    IncidentPublic,
    IncidentState,
    Promptness,
)
from incidents.incident.service import assigned_officers, camera_ids
from incidents.notices.models import Notice
from incidents.permissions import ensure_epe_visible, visibility_clause
from incidents.projection.models import Enterprise
from servicekit.auth import Principal
from servicekit.errors import NotFound


def get_visible(session: Session, principal: Principal, incident_id: str) -> Incident:
    """The incident if the caller may see it, else 404."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident")
    ensure_epe_visible(session, principal, epe_id=incident.epe_id, what="incident")
    return incident


def extensions(session: Session, incident_id: str) -> list[Extension]:
    """Extension notices of an incident, oldest first."""
    return list(
        session.exec(
            select(Extension)
            .where(Extension.incident_id == incident_id)
            .order_by(col(Extension.filed_at))
        )
    )


def to_public(session: Session, ctx: Context, incident: Incident) -> IncidentPublic:
    """The incident as callers see it, with computed overdue and missed follow-up days."""
    enterprise = session.get(Enterprise, incident.epe_id)
    notice_id = session.exec(select(Notice.id).where(Notice.incident_id == incident.id)).first()
    unrestored = IncidentState(incident.state) in UNRESTORED_STATES
    overdue = unrestored and ctx.now >= incident.deadline_at
    ext = extensions(session, incident.id)
    return IncidentPublic(
        id=incident.id,
        epe_id=incident.epe_id,
        enterprise_name=enterprise.name if enterprise and enterprise.name else None,
        unit=enterprise.unit if enterprise else None,
        kind=IncidentKind(incident.kind),
        channel=ChannelType(incident.channel) if incident.channel else None,
        state=IncidentState(incident.state),
        detected=incident.detected,
        opened_at=incident.opened_at,
        notified_at=incident.notified_at,
        notice_id=notice_id,
        camera_ids=camera_ids(session, incident.id),
        deadline_working_days=incident.deadline_working_days,
        deadline_date=incident.deadline_date,
        deadline_at=incident.deadline_at,
        approaching_at=incident.approaching_at,
        overdue=overdue,
        overdue_since=incident.overdue_since or (incident.deadline_at if overdue else None),
        extension_required=overdue and not ext,
        extensions=[
            ExtensionPublic(
                id=e.id,
                reasons=e.reasons,
                expected_completion_at=e.expected_completion_at,
                filed_at=e.filed_at,
                filed_on=e.filed_on,
                filed_by=e.filed_by,
            )
            for e in ext
        ],
        plan=incident.plan,
        plan_agreed_at=incident.plan_agreed_at,
        restored_at=incident.restored_at,
        closed_at=incident.closed_at,
        promptness=Promptness(incident.promptness) if incident.promptness else None,
        previous_incident_id=incident.previous_incident_id,
        assigned_officers=assigned_officers(session, incident.id),
        missed_follow_up_days=missed_days(
            session, ctx.calendar, incident, today=ctx.calendar.local_date(ctx.now)
        ),
        version=incident.version,
    )


def list_visible(
    session: Session,
    principal: Principal,
    *,
    epe_id: str | None,
    state: IncidentState | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[Incident]:
    """Incidents the caller may see, newest first, keyset-paginated."""
    query = (
        select(Incident)
        .join(Enterprise, col(Enterprise.epe_id) == col(Incident.epe_id), isouter=True)
        .where(visibility_clause(principal))
    )
    if epe_id is not None:
        query = query.where(Incident.epe_id == epe_id)
    if state is not None:
        query = query.where(Incident.state == state.value)
    if after is not None:
        opened_at, last_id = after
        query = query.where(
            (col(Incident.opened_at) < opened_at)
            | ((col(Incident.opened_at) == opened_at) & (col(Incident.id) < last_id))
        )
    query = query.order_by(col(Incident.opened_at).desc(), col(Incident.id).desc()).limit(limit)
    return list(session.exec(query))
