"""Writing and reading the logbook; nothing here updates or deletes an entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlmodel import Session, col

from registry.cameras.models import Camera
from registry.common import local_time
from registry.epes.models import Epe
from registry.logbook.models import EntryCreate, EntryKind, EntryPublic, LogbookEntry
from servicekit.auth import Principal
from servicekit.clock import utc_now
from servicekit.errors import field_error
from servicekit.ids import new_id


def write_entry(
    session: Session, *, epe: Epe, data: EntryCreate, principal: Principal
) -> LogbookEntry:
    """Append an entry (a correction names the entry it corrects)."""
    for name, value in (("started_at", data.started_at), ("ended_at", data.ended_at)):
        if value is not None and value.tzinfo is None:
            raise field_error(f"body.{name}", "give a time zone (e.g. +07:00)")
    if data.ended_at is not None and data.ended_at < data.started_at:
        raise field_error("body.ended_at", "must not be before started_at")
    numbers = sorted(set(data.camera_numbers))
    if numbers:
        known = set(
            session.execute(
                select(col(Camera.number)).where(
                    col(Camera.epe_id) == epe.id,
                    col(Camera.number).in_(numbers),
                )
            ).scalars()
        )
        missing = [n for n in numbers if n not in known]
        if missing:
            raise field_error("body.camera_numbers", f"unknown cameras: {', '.join(missing[:20])}")
    if data.corrects is not None:
        target = session.get(LogbookEntry, data.corrects)
        if target is None or target.epe_id != epe.id:
            raise field_error("body.corrects", "not an entry of this EPE's logbook")
    entry = LogbookEntry(
        id=new_id(),
        epe_id=epe.id,
        kind=data.kind.value,
        started_at=data.started_at,
        ended_at=data.ended_at,
        camera_numbers=numbers,
        positions=data.positions,
        description=data.description,
        corrects_id=data.corrects,
        author=principal.subject,
        author_client=principal.client_id,
        recorded_at=utc_now(),
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    session: Session,
    *,
    epe_id: str,
    kind: EntryKind | None,
    camera: str | None,
    start: datetime | None,
    end: datetime | None,
    after: str | None,
    limit: int,
) -> list[LogbookEntry]:
    """Entries in recording order, filtered by kind, camera and a time range they overlap."""
    query = select(LogbookEntry).where(col(LogbookEntry.epe_id) == epe_id)
    if kind is not None:
        query = query.where(col(LogbookEntry.kind) == kind.value)
    if start is not None:
        query = query.where(
            or_(col(LogbookEntry.ended_at).is_(None), col(LogbookEntry.ended_at) >= start)
        )
    if end is not None:
        query = query.where(col(LogbookEntry.started_at) <= end)
    if after is not None:
        query = query.where(col(LogbookEntry.id) > after)
    query = query.order_by(col(LogbookEntry.id))
    if camera is None:
        return list(session.execute(query.limit(limit + 1)).scalars())
    # JSON containment differs per database: filter the (small) candidate pages in Python.
    found: list[LogbookEntry] = []
    for entry in session.execute(query).scalars():
        if camera in entry.camera_numbers:
            found.append(entry)
            if len(found) > limit:
                break
    return found


def corrections_of(session: Session, entry_ids: list[str]) -> dict[str, list[str]]:
    """Ids of the entries correcting each entry."""
    if not entry_ids:
        return {}
    rows = session.execute(
        select(col(LogbookEntry.corrects_id), col(LogbookEntry.id))
        .where(col(LogbookEntry.corrects_id).in_(entry_ids))
        .order_by(col(LogbookEntry.id))
    ).all()
    found: dict[str, list[str]] = {}
    for target, entry_id in rows:
        found.setdefault(target, []).append(entry_id)
    return found


def to_public(entry: LogbookEntry, corrected_by: list[str]) -> EntryPublic:
    """The API view of an entry."""
    return EntryPublic(
        id=entry.id,
        epe_id=entry.epe_id,
        kind=EntryKind(entry.kind),
        started_at=entry.started_at,
        ended_at=entry.ended_at,
        camera_numbers=list(entry.camera_numbers),
        positions=entry.positions,
        description=entry.description,
        corrects=entry.corrects_id,
        corrected_by=corrected_by,
        author=entry.author,
        recorded_at=entry.recorded_at,
        recorded_at_local=local_time(entry.recorded_at) or "",
    )
