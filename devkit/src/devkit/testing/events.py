"""Events on a real NATS server for a service's consumer tests: the committed schemas the
service validates against, CloudEvents as producers publish them, the last event a service
published on a subject, and waiting for an effect."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from devkit import contracts
from servicekit.events import CloudEvent, EventBus, stream_name
from servicekit.events.bus import OutgoingMessage


def committed_schemas(target: Path, services: Iterable[str]) -> Path:
    """A copy of the committed event schemas of `services` under `target/events` (a service's
    `events_schema_dir`), so a test validates against what is committed."""
    events = target / "events"
    for service in services:
        (events / service).mkdir(parents=True)
        for path in (contracts.CONTRACTS_DIR / "events" / service).glob("*.json"):
            (events / service / path.name).write_text(path.read_text())
    return events


def envelope(
    event_type: str, data: dict[str, Any], at: datetime, *, subject: str | None = None
) -> CloudEvent:
    """The CloudEvent the producing service (the type's first part) would publish."""
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"camwatch/{event_type.split('.')[0]}",
        type=event_type,
        subject=subject or str(data.get("camera_id") or data.get("entry_id") or data["epe_id"]),
        time=at,
        data=data,
    )


async def publish(nats_url: str, events: Iterable[CloudEvent]) -> None:
    """Publish as the producers do, into their streams (created if missing)."""
    bus = EventBus(nats_url, name="test-producers")
    assert await bus.connect(within=10)
    try:
        for event in events:
            await bus.ensure_stream(event.type.split(".")[0])
            await bus.publish(OutgoingMessage(event.type, event.to_json().encode(), event.id))
    finally:
        await bus.close()


async def last_on_stream(nats_url: str, service: str, subject: str) -> dict[str, Any]:
    """The last event `service` published on `subject`, decoded."""
    bus = EventBus(nats_url, name="test-reader")
    assert await bus.connect(within=10)
    try:
        message = await bus.js.get_last_msg(stream_name(service), subject)
        assert message.data is not None, f"the last message on {subject} has no data"
        return dict(json.loads(message.data))
    finally:
        await bus.close()


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> bool:
    """Whether `predicate()` became truthy within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
