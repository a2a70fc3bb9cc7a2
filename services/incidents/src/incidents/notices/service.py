"""Filing and revising Appendix II notices: idempotent creation, cameras checked against the
registry projection, the first notice linked to a detected incident."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, select

from incidents.context import Context
from incidents.incident.models import (
    UNRESTORED_STATES,
    ChannelType,
    Incident,
    IncidentCamera,
    IncidentKind,
    IncidentState,
)
from incidents.incident.service import (
    amend,
    emit,
    facts,
    mark_notified,
    open_incident,
    record,
    require_state,
)
from incidents.notices.events import NoticeFiled, NoticeRevised
from incidents.notices.models import (
    EnterpriseOnNotice,
    IdempotencyRecord,
    Notice,
    NoticeContent,
    NoticeCreate,
    NoticePublic,
    NoticeRevision,
    TechnicianPublic,
)
from incidents.permissions import Actor
from incidents.projection.models import Camera, Enterprise
from servicekit.errors import Conflict, NotFound, Problem, field_error
from servicekit.ids import new_id


def serialise_filings(session: Session, *, epe_id: str) -> None:
    """Make concurrent filings of one EPE run one after another, so that a filing sees the
    incident the previous one linked or opened (409) instead of duplicating it.

    A no-op UPDATE of the EPE's row holds its row lock on PostgreSQL and SQLite's write lock
    until the transaction ends; SELECT ... FOR UPDATE would not order SQLite's reads.
    """
    session.execute(
        update(Enterprise)
        .where(col(Enterprise.epe_id) == epe_id)
        .values(last_event_at=col(Enterprise.last_event_at))  # not the key: FK checks go on
    )


def fingerprint(body: NoticeCreate) -> str:
    """A digest of the request body: the same key with another body is a client error."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def replay(session: Session, *, epe_id: str, key: str, body: NoticeCreate) -> Notice | None:
    """The notice a previous request with this key created, or None if the key is new."""
    previous = session.get(IdempotencyRecord, (epe_id, key))
    if previous is None:
        return None
    if previous.fingerprint != fingerprint(body):
        raise Problem(
            422,
            "Idempotency key reused",
            "this Idempotency-Key was used for a different request; use a new key",
            errors=[{"field": "header.Idempotency-Key", "message": "used with another body"}],
        )
    notice = session.get(Notice, previous.notice_id)
    assert notice is not None
    return notice


def check_cameras(session: Session, *, epe_id: str, camera_ids: Sequence[str]) -> None:
    """Every camera must be a current camera of the EPE (per the registry)."""
    for i, camera_id in enumerate(camera_ids):
        camera = session.get(Camera, camera_id)
        if camera is None or camera.epe_id != epe_id or camera.removed:
            raise field_error(
                f"body.camera_ids.{i}", f"{camera_id} is not a registered camera of this EPE"
            )


def _already_notified(session: Session, *, body: NoticeContent, epe_id: str) -> Incident | None:
    """An unrestored, notified incident that this notice would duplicate."""
    notified = select(Notice.incident_id)
    query = select(Incident).where(
        Incident.epe_id == epe_id,
        col(Incident.state).in_([s.value for s in UNRESTORED_STATES]),
        col(Incident.id).in_(notified),
    )
    if body.kind is IncidentKind.TRANSMISSION_CHANNEL:
        # only the same channel: an EPE with an Internet line and a separate line can lose each
        channel = body.channel.value if body.channel else None
        query = query.where(
            Incident.kind == IncidentKind.TRANSMISSION_CHANNEL.value, Incident.channel == channel
        )
    else:
        shared = select(IncidentCamera.incident_id).where(
            col(IncidentCamera.camera_id).in_(body.camera_ids)
        )
        query = query.where(col(Incident.id).in_(shared))
    return session.exec(query.limit(1)).first()


def _detected_to_link(session: Session, *, body: NoticeContent, epe_id: str) -> Incident | None:
    """The earliest detected incident this notice answers: one sharing a camera, or any of the
    EPE's detected incidents for a channel notice."""
    query = select(Incident).where(
        Incident.epe_id == epe_id, Incident.state == IncidentState.DETECTED.value
    )
    if body.kind is IncidentKind.CAMERA_EQUIPMENT:
        shared = select(IncidentCamera.incident_id).where(
            col(IncidentCamera.camera_id).in_(body.camera_ids)
        )
        query = query.where(col(Incident.id).in_(shared))
    return session.exec(query.order_by(col(Incident.opened_at)).limit(1)).first()


def _revision(
    notice_id: str,
    number: int,
    body: NoticeContent,
    enterprise: Enterprise,
    ctx: Context,
    actor: Actor,
) -> NoticeRevision:
    return NoticeRevision(
        notice_id=notice_id,
        revision=number,
        kind=body.kind.value,
        channel=body.channel.value if body.channel else None,
        camera_ids=list(body.camera_ids),
        description=body.description,
        effects=body.effects,
        estimated_restoration_at=body.estimated_restoration_at,
        technician_name=body.technician.name,
        technician_phone=body.technician.phone,
        technician_email=body.technician.email,
        document_number=body.document_number,
        place=body.place,
        signatory_name=body.signatory_name,
        enterprise_name=enterprise.name,
        enterprise_address=enterprise.address,
        enterprise_tax_code=enterprise.tax_code,
        created_at=ctx.now,
        created_by=actor.subject,
    )


def file_notice(
    session: Session, ctx: Context, *, body: NoticeCreate, key: str, actor: Actor
) -> Notice:
    """File a notice: open a notified incident, or link the detected one it answers."""
    enterprise = session.get(Enterprise, body.epe_id)
    if enterprise is None or not enterprise.name:
        raise field_error("body.epe_id", "this EPE is not registered")
    check_cameras(session, epe_id=body.epe_id, camera_ids=body.camera_ids)
    duplicate = _already_notified(session, body=body, epe_id=body.epe_id)
    if duplicate is not None:
        raise Conflict(
            f"incident {duplicate.id} already covers this interruption; revise its notice",
            incident_id=duplicate.id,
        )
    incident = _detected_to_link(session, body=body, epe_id=body.epe_id)
    linked = incident is not None
    if incident is not None:
        mark_notified(
            session,
            ctx,
            incident,
            kind=body.kind,
            channel=body.channel,
            cameras=body.camera_ids,
        )
    else:
        incident = open_incident(
            session,
            ctx,
            epe_id=body.epe_id,
            kind=body.kind,
            channel=body.channel,
            cameras=body.camera_ids,
            opened_at=ctx.now,
            detected=False,
            actor=actor,
        )
    notice = Notice(
        id=new_id(),
        incident_id=incident.id,
        epe_id=body.epe_id,
        revision=1,
        filed_at=ctx.now,
        filed_by=actor.subject,
    )
    session.add(notice)
    session.add(_revision(notice.id, 1, body, enterprise, ctx, actor))
    session.add(
        IdempotencyRecord(
            epe_id=body.epe_id,
            key=key,
            fingerprint=fingerprint(body),
            notice_id=notice.id,
            created_at=ctx.now,
        )
    )
    record(
        session,
        incident,
        actor=actor,
        action="notice_filed",
        at=ctx.now,
        details={
            "notice_id": notice.id,
            "linked_to_detected": linked,
            "kind": body.kind.value,
            "camera_ids": list(body.camera_ids),
            "deadline_at": incident.deadline_at.isoformat(),
        },
    )
    session.flush()
    emit(
        session,
        NoticeFiled(
            **facts(session, incident),
            notice_id=notice.id,
            filed_at=ctx.now,
            estimated_restoration_at=body.estimated_restoration_at,
            deadline_at=incident.deadline_at,
            linked_to_detected=linked,
            previous_incident_id=incident.previous_incident_id,
        ),
        incident,
    )
    return notice


def revise_notice(
    session: Session, ctx: Context, notice: Notice, *, body: NoticeContent, actor: Actor
) -> Notice:
    """A new revision of the notice; the earlier ones stay as they were."""
    incident = session.get(Incident, notice.incident_id)
    assert incident is not None
    require_state(incident, list(UNRESTORED_STATES), "revise the notice")
    current = latest_revision(session, notice)
    if body.kind.value != current.kind:
        raise field_error("body.kind", "the kind of trouble cannot change; file a new notice")
    check_cameras(session, epe_id=notice.epe_id, camera_ids=body.camera_ids)
    enterprise = session.get(Enterprise, notice.epe_id)
    assert enterprise is not None
    notice.revision += 1
    session.add(notice)
    session.add(_revision(notice.id, notice.revision, body, enterprise, ctx, actor))
    added = amend(session, ctx, incident, channel=body.channel, cameras=body.camera_ids)
    record(
        session,
        incident,
        actor=actor,
        action="notice_revised",
        at=ctx.now,
        details={"notice_id": notice.id, "revision": notice.revision, "cameras_added": added},
    )
    session.flush()
    emit(
        session,
        NoticeRevised(
            **facts(session, incident),
            notice_id=notice.id,
            revision=notice.revision,
            estimated_restoration_at=body.estimated_restoration_at,
        ),
        incident,
    )
    return notice


def latest_revision(
    session: Session, notice: Notice, revision: int | None = None
) -> NoticeRevision:
    """A revision of the notice (the latest when not given)."""
    number = revision or notice.revision
    found = session.exec(
        select(NoticeRevision).where(
            NoticeRevision.notice_id == notice.id, NoticeRevision.revision == number
        )
    ).first()
    if found is None:
        raise NotFound("notice revision")
    return found


def to_public(session: Session, notice: Notice) -> NoticePublic:
    """The notice at its latest revision."""
    rev = latest_revision(session, notice)
    return NoticePublic(
        id=notice.id,
        incident_id=notice.incident_id,
        epe_id=notice.epe_id,
        revision=notice.revision,
        enterprise=EnterpriseOnNotice(
            name=rev.enterprise_name,
            address=rev.enterprise_address,
            tax_code=rev.enterprise_tax_code,
        ),
        kind=IncidentKind(rev.kind),
        camera_ids=list(rev.camera_ids),
        channel=ChannelType(rev.channel) if rev.channel else None,
        description=rev.description,
        effects=rev.effects,
        estimated_restoration_at=rev.estimated_restoration_at,
        technician=TechnicianPublic(
            name=rev.technician_name, phone=rev.technician_phone, email=rev.technician_email
        ),
        document_number=rev.document_number,
        place=rev.place,
        signatory_name=rev.signatory_name,
        filed_at=notice.filed_at,
        filed_by=notice.filed_by,
        revised_at=rev.created_at,
        revised_by=rev.created_by,
    )
