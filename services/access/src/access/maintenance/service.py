"""Announcing, approving and updating operations notices; each step audited and published."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from access.audit import service as audit
from access.context import AuditContext
from access.maintenance.events import MaintenanceAnnounced, MaintenanceUpdated
from access.maintenance.models import (
    FOLLOWING,
    OPEN_STATES,
    MaintenanceNotice,
    MaintenanceUpdate,
    NoticeCreate,
    NoticeKind,
    NoticePublic,
    NoticeState,
    UpdatePublic,
)
from servicekit.errors import Conflict, NotFound, field_error
from servicekit.events import add_event

NOTICE_DAYS = 5
"""Planned maintenance is announced at least this many days before it starts (seed 2 §2)."""


def announce(
    session: Session, *, body: NoticeCreate, context: AuditContext, now: datetime
) -> MaintenanceNotice:
    """Record a notice: a breakdown or timely planned work is announced now; an emergency
    waits for the head's approval; planned work with less notice and no emergency is refused."""
    starts_at = body.starts_at or now
    short_notice = starts_at - now < timedelta(days=NOTICE_DAYS)
    if body.kind is NoticeKind.PLANNED and not body.emergency and short_notice:
        raise field_error(
            "body.starts_at",
            f"planned maintenance is announced at least {NOTICE_DAYS} days ahead "
            "(or marked emergency, for the head to approve)",
        )
    waiting = body.emergency
    notice = MaintenanceNotice(
        kind=body.kind,
        title=body.title,
        description=body.description,
        affects=",".join(dict.fromkeys(body.affects)),
        starts_at=starts_at,
        ends_at=body.ends_at,
        emergency=body.emergency,
        emergency_reason=body.emergency_reason,
        state=NoticeState.AWAITING_APPROVAL if waiting else _announced_state(body.kind),
        created_by=context.actor,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        context=context,
        action="maintenance.emergency_proposed" if waiting else "maintenance.announced",
        target=f"maintenance:{notice.id}",
        occurred_at=now,
        details={"kind": notice.kind, "starts_at": starts_at.isoformat()},
    )
    if not waiting:
        _publish_announcement(session, notice, by=context.actor, now=now)
    return notice


def decide(
    session: Session,
    *,
    notice: MaintenanceNotice,
    approve: bool,
    reason: str,
    context: AuditContext,
    now: datetime,
) -> MaintenanceNotice:
    """The head approves an emergency (it is announced now) or refuses it."""
    if notice.state != NoticeState.AWAITING_APPROVAL:
        raise Conflict(f"the notice is {notice.state}, not awaiting approval")
    notice.decided_by = context.actor
    notice.state = NoticeState.ANNOUNCED if approve else NoticeState.REFUSED
    session.add(notice)
    audit.record(
        session,
        context=context,
        action="maintenance.emergency_approved" if approve else "maintenance.emergency_refused",
        target=f"maintenance:{notice.id}",
        reason=reason,
        occurred_at=now,
    )
    if approve:
        _publish_announcement(session, notice, by=context.actor, now=now, text=reason)
    else:
        _append(session, notice, state=NoticeState.REFUSED, text=reason, by=context.actor, at=now)
    return notice


def update(
    session: Session,
    *,
    notice: MaintenanceNotice,
    state: NoticeState,
    text: str,
    context: AuditContext,
    now: datetime,
) -> MaintenanceNotice:
    """Progress, completion or cancellation of an announced notice (a breakdown is never
    cancelled: it is resolved)."""
    allowed = FOLLOWING.get(NoticeState(notice.state), ())
    if notice.kind == NoticeKind.BREAKDOWN:
        allowed = tuple(s for s in allowed if s is not NoticeState.CANCELLED)
    if state not in allowed:
        raise Conflict(
            f"a {notice.kind} notice that is {notice.state} cannot become {state}",
            errors=[{"field": "body.state", "message": f"one of {[str(s) for s in allowed]}"}],
        )
    notice.state = state
    session.add(notice)
    _append(session, notice, state=state, text=text, by=context.actor, at=now)
    audit.record(
        session,
        context=context,
        action=f"maintenance.{state}",
        target=f"maintenance:{notice.id}",
        occurred_at=now,
    )
    add_event(
        session,
        MaintenanceUpdated(
            notice_id=notice.id, kind=notice.kind, state=state, text=text, updated_at=now
        ),
        subject=f"maintenance:{notice.id}",
    )
    return notice


def get(session: Session, notice_id: str) -> MaintenanceNotice:
    notice = session.get(MaintenanceNotice, notice_id)
    if notice is None:
        raise NotFound("maintenance notice")
    return notice


def listing(
    session: Session, *, current_only: bool, after: str | None, limit: int, everything: bool
) -> list[MaintenanceNotice]:
    """Notices newest first; `current_only`: announced or in progress; only operators and heads
    (`everything`) see emergencies awaiting approval and refused ones."""
    query = select(MaintenanceNotice)
    if current_only:
        query = query.where(col(MaintenanceNotice.state).in_([str(s) for s in OPEN_STATES]))
    elif not everything:
        hidden = [NoticeState.AWAITING_APPROVAL, NoticeState.REFUSED]
        query = query.where(col(MaintenanceNotice.state).not_in([str(s) for s in hidden]))
    if after is not None:
        query = query.where(col(MaintenanceNotice.id) < after)
    return list(session.exec(query.order_by(col(MaintenanceNotice.id).desc()).limit(limit)))


def public_view(session: Session, notice: MaintenanceNotice) -> NoticePublic:
    updates = session.exec(
        select(MaintenanceUpdate)
        .where(MaintenanceUpdate.notice_id == notice.id)
        .order_by(col(MaintenanceUpdate.at), col(MaintenanceUpdate.id))
    ).all()
    return NoticePublic(
        id=notice.id,
        kind=notice.kind,
        title=notice.title,
        description=notice.description,
        affects=notice.affects.split(","),
        starts_at=notice.starts_at,
        ends_at=notice.ends_at,
        emergency=notice.emergency,
        emergency_reason=notice.emergency_reason,
        state=notice.state,
        announced_at=notice.announced_at,
        created_at=notice.created_at,
        updates=[UpdatePublic.model_validate(u, from_attributes=True) for u in updates],
    )


def _announced_state(kind: NoticeKind) -> NoticeState:
    return NoticeState.IN_PROGRESS if kind is NoticeKind.BREAKDOWN else NoticeState.ANNOUNCED


def _publish_announcement(
    session: Session, notice: MaintenanceNotice, *, by: str, now: datetime, text: str = ""
) -> None:
    notice.announced_at = now
    session.add(notice)
    _append(
        session, notice, state=NoticeState(notice.state), text=text or notice.title, by=by, at=now
    )
    add_event(
        session,
        MaintenanceAnnounced(
            notice_id=notice.id,
            kind=notice.kind,
            title=notice.title,
            affects=notice.affects.split(","),
            starts_at=notice.starts_at,
            ends_at=notice.ends_at,
            emergency=notice.emergency,
            announced_at=now,
        ),
        subject=f"maintenance:{notice.id}",
    )


def _append(
    session: Session,
    notice: MaintenanceNotice,
    *,
    state: NoticeState,
    text: str,
    by: str,
    at: datetime,
) -> None:
    session.add(MaintenanceUpdate(notice_id=notice.id, state=state, text=text, by=by, at=at))
