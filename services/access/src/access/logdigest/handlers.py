"""What the digest reads from other producers: the gateway's 5xx counts and the evidence
service's daily custody check, each kept by event id (the consumer's inbox already drops a
redelivery; the keys make a second copy impossible anyway)."""

from __future__ import annotations

from pydantic import ValidationError
from sqlmodel import Session, select

from access.db import as_utc
from access.logdigest.models import CustodyCheck, CustodyVerifiedData, ServerErrorCount
from servicekit.events import CloudEvent, PermanentError
from servicekit.events.servererrors import ServerErrorsCounted


def handle_server_errors(event: CloudEvent, session: Session) -> None:
    """`gateway.server_errors.counted.v1`: one row per route and status of the window."""
    try:
        counted = ServerErrorsCounted.model_validate(event.data)
    except ValidationError as exc:
        raise PermanentError(
            f"{event.type} {event.id}: {exc.error_count()} invalid field(s)"
        ) from exc
    known = session.exec(
        select(ServerErrorCount.id).where(ServerErrorCount.event_id == event.id).limit(1)
    ).first()
    if known is not None:
        return
    for route in counted.routes:
        session.add(
            ServerErrorCount(
                event_id=event.id,
                gateway=counted.gateway,
                window_start=as_utc(counted.window_start),
                window_end=as_utc(counted.window_end),
                service=route.service,
                method=route.method,
                route=route.route,
                status=route.status,
                count=route.count,
            )
        )


def handle_custody_verified(event: CloudEvent, session: Session) -> None:
    """`evidence.custody.verified.v1`: the day's custody check, kept as published."""
    try:
        verified = CustodyVerifiedData.model_validate(event.data)
    except ValidationError as exc:
        raise PermanentError(
            f"{event.type} {event.id}: {exc.error_count()} invalid field(s)"
        ) from exc
    if session.get(CustodyCheck, event.id) is not None:
        return
    session.add(
        CustodyCheck(
            event_id=event.id,
            **verified.model_dump(exclude={"checked_at"}),
            checked_at=as_utc(verified.checked_at),
        )
    )
