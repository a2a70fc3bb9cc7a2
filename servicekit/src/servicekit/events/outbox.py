"""The transactional outbox and the consumer inbox (SQLAlchemy Core tables).

`add_event` inserts the event's envelope into `event_outbox` inside the caller's transaction, so
the event exists if and only if the business change commits. After that commit the in-process
relay is woken (SQLAlchemy `after_commit`); the relay also polls, so rows left by another
process or by a crash are published too.

`event_inbox` records, per durable consumer, the ids of the events whose effects have
committed; the consumer inserts the row in the same transaction as the handler's writes, so a
redelivered event is recognised and has no second effect.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Text,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from servicekit.events.envelope import CloudEvent, EventPayload
from servicekit.telemetry import inject_headers, spans_recorded

_tracer = trace.get_tracer("servicekit.events.outbox")

OUTBOX_TABLE = "event_outbox"
INBOX_TABLE = "event_inbox"
_PENDING = "servicekit.events.outbox_pending"


@dataclass(frozen=True)
class EventTables:
    """The outbox and inbox tables of one service's metadata."""

    outbox: Table
    inbox: Table


def _define(metadata: MetaData) -> EventTables:
    outbox = Table(
        OUTBOX_TABLE,
        metadata,
        Column("id", String(36), primary_key=True, comment="CloudEvent id = NATS Msg-Id"),
        Column("type", String(200), nullable=False, comment="event type = NATS subject"),
        Column("subject", String(200), nullable=True, comment="CloudEvents subject"),
        Column("envelope", Text, nullable=False, comment="CloudEvent JSON, published verbatim"),
        Column("headers", JSON, nullable=False, comment="trace context captured at add time"),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
        comment="Transactional outbox: events committed with the business change",
    )
    Index("ix_event_outbox_relay", outbox.c.sent_at, outbox.c.created_at)
    inbox = Table(
        INBOX_TABLE,
        metadata,
        Column("consumer", String(200), primary_key=True, comment="durable consumer name"),
        Column("event_id", String(64), primary_key=True, comment="CloudEvent id"),
        Column("processed_at", DateTime(timezone=True), nullable=False),
        comment="Consumer inbox: events whose effects have committed",
    )
    Index("ix_event_inbox_processed_at", inbox.c.processed_at)
    return EventTables(outbox=outbox, inbox=inbox)


# The statements are built against this canonical copy: every service has identically shaped
# tables (its schema comes from the connection's search_path), so add_event, the relay and the
# consumers do not need to know which service's metadata they belong to.
TABLES = _define(MetaData())


def attach_event_tables(metadata: MetaData) -> EventTables:
    """Add `event_outbox` and `event_inbox` to a service's metadata (idempotent)."""
    outbox = metadata.tables.get(_key(metadata, OUTBOX_TABLE))
    inbox = metadata.tables.get(_key(metadata, INBOX_TABLE))
    if outbox is not None and inbox is not None:
        return EventTables(outbox=outbox, inbox=inbox)
    return _define(metadata)


def _key(metadata: MetaData, name: str) -> str:
    return f"{metadata.schema}.{name}" if metadata.schema else name


def outbox_row(event: CloudEvent, headers: dict[str, str]) -> dict[str, object]:
    """The outbox row of an envelope."""
    return {
        "id": event.id,
        "type": event.type,
        "subject": event.subject,
        "envelope": event.to_json(),
        "headers": headers,
        "created_at": event.time,
        "sent_at": None,
    }


def _create_span_headers(event: CloudEvent) -> dict[str, str]:
    """A "create" producer span for the event; its context goes into the message headers.

    When no span would be recorded, the current context (the request's) is stored instead:
    the consumer then continues that trace directly.
    """
    if not spans_recorded():
        return inject_headers()
    with _tracer.start_as_current_span(
        f"{event.type} create",
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "nats",
            "messaging.destination.name": event.type,
            "messaging.message.id": event.id,
        },
    ):
        return inject_headers()


def add_event(session: Session, payload: EventPayload, *, subject: str | None) -> CloudEvent:
    """Record an event in the caller's transaction; it is published after the commit.

    `subject` is the CloudEvents subject: the id of the resource the event is about. A
    "create" span is recorded in the current trace and its context stored with the row, so the
    consumer's span continues this trace on the other side of NATS.
    """
    cloud_event = CloudEvent.new(payload, subject=subject)
    row = outbox_row(cloud_event, _create_span_headers(cloud_event))
    session.connection().execute(insert(TABLES.outbox), [row])
    session.info[_PENDING] = True
    return cloud_event


def add_events(session: Session, items: list[tuple[EventPayload, str | None]]) -> list[CloudEvent]:
    """Record several events in the caller's transaction with one multi-row insert."""
    if not items:
        return []
    events = [CloudEvent.new(payload, subject=subject) for payload, subject in items]
    session.connection().execute(
        insert(TABLES.outbox), [outbox_row(event, _create_span_headers(event)) for event in events]
    )
    session.info[_PENDING] = True
    return events


def pending_count(connection: Connection) -> int:
    """How many outbox rows are not yet published (for readiness and tests)."""
    outbox = TABLES.outbox
    statement = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
    return int(connection.execute(statement).scalar_one())


Waker = Callable[[], None]
_wakers: dict[int, list[Waker]] = {}
_wakers_lock = threading.Lock()


def register_waker(engine: Engine, waker: Waker) -> None:
    """Call `waker` after each commit on `engine` that added outbox rows."""
    with _wakers_lock:
        _wakers.setdefault(id(engine), []).append(waker)


def unregister_waker(engine: Engine, waker: Waker) -> None:
    """Stop calling `waker`."""
    with _wakers_lock:
        wakers = _wakers.get(id(engine), [])
        if waker in wakers:
            wakers.remove(waker)
        if not wakers:
            _wakers.pop(id(engine), None)


@event.listens_for(Session, "after_commit")
def _wake_relay_after_commit(session: Session) -> None:
    if not session.info.pop(_PENDING, False):
        return
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with _wakers_lock:
        wakers = list(_wakers.get(id(engine), ()))
    for waker in wakers:
        waker()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def utc_now() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)
