"""Events: CloudEvents on NATS JetStream through a transactional outbox, with inbox consumers.

See docs/events.md for the design (envelope, subjects, streams, durables, outbox and inbox,
retries and dead letters).
"""

from servicekit.events.bus import DeadLetter, EventBus, deadletter_subject, stream_name
from servicekit.events.consumer import (
    EventConsumer,
    EventHandler,
    InvalidEvent,
    PermanentError,
    SchemaRegistry,
    durable_name,
)
from servicekit.events.envelope import CloudEvent, EventPayload, producer_of, schema_path
from servicekit.events.outbox import (
    EventTables,
    add_event,
    add_events,
    attach_event_tables,
    pending_count,
)
from servicekit.events.relay import OutboxRelay
from servicekit.events.runtime import EventRuntime, default_contracts_dir

__all__ = [
    "CloudEvent",
    "DeadLetter",
    "EventBus",
    "EventConsumer",
    "EventHandler",
    "EventPayload",
    "EventRuntime",
    "EventTables",
    "InvalidEvent",
    "OutboxRelay",
    "PermanentError",
    "SchemaRegistry",
    "add_event",
    "add_events",
    "attach_event_tables",
    "deadletter_subject",
    "default_contracts_dir",
    "durable_name",
    "pending_count",
    "producer_of",
    "schema_path",
    "stream_name",
]
