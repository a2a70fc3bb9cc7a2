"""Consumers: redelivery without a second effect, de-duplication, dead letters."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

from sqlmodel import Session

from servicekit.events import (
    CloudEvent,
    EventBus,
    PermanentError,
    deadletter_subject,
    durable_name,
)
from servicekit.events.bus import OutgoingMessage


async def _bus(world) -> EventBus:
    bus = EventBus(world.nats_url, name="test-publisher")
    assert await bus.connect(within=10)
    world.started.append(bus)
    return bus


async def _settled(world, consumer) -> None:
    async def check() -> bool:
        return await consumer.bus.consumer_pending(consumer.stream, consumer.durable) == (0, 0)

    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{consumer.durable} still has pending messages")


def _raw_envelope(world, data: dict, *, event_type: str | None = None) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": f"camwatch/{world.producer}",
            "type": event_type or world.event_type,
            "subject": "widget-x",
            "time": datetime.now(UTC).isoformat(),
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


async def test_handler_failing_once_is_redelivered_and_has_one_effect(world):
    attempts: dict[int, int] = {}

    def flaky(event: CloudEvent, session: Session) -> None:
        n = int(event.data["n"])
        attempts[n] = attempts.get(n, 0) + 1
        if n == 1 and attempts[n] == 1:
            raise RuntimeError("database of a partner briefly unavailable")
        world.record_effect(event, session)

    runtime = await world.runtime(subscriptions={world.event_type: flaky})
    world.publish(3)
    await world.wait_until(lambda: world.effect_count() == 3)
    consumer = runtime.consumers[0]
    await _settled(world, consumer)
    assert world.effect_count() == 3
    assert world.distinct_effects() == 3
    assert world.inbox_count() == 3
    # The failing event ran once more after its nak; the others were not redelivered.
    assert consumer.handled_total == 3
    assert attempts[1] >= 2
    assert await runtime.dead_letters() == []


async def test_same_event_published_twice_has_one_effect(world):
    runtime = await world.runtime(subscriptions={world.event_type: world.record_effect})
    [event] = world.publish(1)
    await world.wait_until(lambda: world.effect_count() == 1)
    assert await world.stream_messages() == 1

    bus = await _bus(world)
    # Same Msg-Id inside the duplicate window: the stream drops it.
    again = OutgoingMessage(world.event_type, event.to_json().encode(), msg_id=event.id)
    assert await bus.publish(again) is True
    assert await world.stream_messages() == 1

    # Same event under another Msg-Id (as after the window): delivered, absorbed by the inbox.
    late = OutgoingMessage(world.event_type, event.to_json().encode(), msg_id=f"{event.id}-late")
    assert await bus.publish(late) is False
    assert await world.stream_messages() == 2
    consumer = runtime.consumers[0]
    await _settled(world, consumer)
    assert world.effect_count() == 1
    assert world.inbox_count() == 1


async def test_invalid_payload_goes_to_the_dead_letter_subject_and_is_visible(world):
    runtime = await world.runtime(subscriptions={world.event_type: world.record_effect})
    bus = await _bus(world)
    raw = _raw_envelope(world, {"n": "not a number"})
    await bus.publish(
        OutgoingMessage(world.event_type, raw, msg_id="bad-1", headers={"X-Test": "kept"})
    )
    garbage = b"{not json"
    await bus.publish(OutgoingMessage(world.event_type, garbage, msg_id="bad-2"))
    world.publish(1)  # a good one still goes through

    await world.wait_until(lambda: world.effect_count() == 1)
    consumer = runtime.consumers[0]
    await _settled(world, consumer)
    letters = await runtime.dead_letters()
    assert len(letters) == 2
    invalid, unparsable = letters
    durable = durable_name(world.producer, world.event_type)
    assert invalid.consumer == durable
    assert invalid.subject == deadletter_subject(durable, world.event_type)
    assert invalid.original_subject == world.event_type
    assert invalid.envelope == raw.decode()
    assert "n" in invalid.error and "not a number" in invalid.error
    assert invalid.headers["X-Test"] == "kept"
    assert invalid.deliveries == 1
    assert unparsable.envelope == garbage.decode()
    assert "not a CloudEvent" in unparsable.error
    assert consumer.dead_lettered_total == 2
    assert world.effect_count() == 1


async def test_event_type_without_committed_schema_is_dead_lettered(world):
    unknown = f"{world.producer}.widget.vanished.v1"
    seen: list[str] = []
    runtime = await world.runtime(subscriptions={unknown: lambda e, s: seen.append(e.id)})
    bus = await _bus(world)
    await bus.publish(OutgoingMessage(unknown, _raw_envelope(world, {}, event_type=unknown), "u1"))
    await world.wait_until(lambda: runtime.consumers[0].dead_lettered_total == 1)
    [letter] = await runtime.dead_letters()
    assert "no schema" in letter.error
    assert seen == []


async def test_permanent_error_is_dead_lettered_without_retry(world):
    def refuse(event: CloudEvent, session: Session) -> None:
        raise PermanentError(f"widget {event.subject} belongs to no known EPE")

    runtime = await world.runtime(subscriptions={world.event_type: refuse})
    world.publish(1)
    consumer = runtime.consumers[0]
    await world.wait_until(lambda: consumer.dead_lettered_total == 1)
    [letter] = await runtime.dead_letters()
    assert letter.deliveries == 1
    assert "PermanentError: widget widget-0 belongs to no known EPE" in letter.error
    assert world.inbox_count() == 0
    await _settled(world, consumer)


async def test_exhausted_deliveries_are_dead_lettered(world):
    calls: list[int] = []

    def always_failing(event: CloudEvent, session: Session) -> None:
        world.record_effect(event, session)  # rolled back each time
        calls.append(1)
        raise RuntimeError("still failing")

    runtime = await world.runtime(
        subscriptions={world.event_type: always_failing},
        consumer_options={"max_deliver": 3, "ack_wait": 0.5},
    )
    world.publish(1)
    consumer = runtime.consumers[0]
    await world.wait_until(lambda: consumer.dead_lettered_total == 1)
    [letter] = await runtime.dead_letters()
    assert letter.deliveries == 3
    assert "gave up after 3 deliveries: RuntimeError: still failing" in letter.error
    assert world.effect_count() == 0
    assert world.inbox_count() == 0
    await _settled(world, consumer)


async def test_event_type_with_a_broken_schema_is_dead_lettered(world):
    broken = f"{world.producer}.widget.warped.v1"
    (world.contracts_dir / world.producer / f"{broken}.json").write_text('{"type": 12}')
    seen: list[str] = []
    runtime = await world.runtime(subscriptions={broken: lambda e, s: seen.append(e.id)})
    bus = await _bus(world)
    await bus.publish(OutgoingMessage(broken, _raw_envelope(world, {}, event_type=broken), "w1"))
    await world.wait_until(lambda: runtime.consumers[0].dead_lettered_total == 1)
    [letter] = await runtime.dead_letters()
    assert "unusable schema" in letter.error
    assert seen == []


async def test_the_server_spaces_redeliveries_by_the_consumer_backoff(world):
    calls: list[float] = []

    def always_failing(event: CloudEvent, session: Session) -> None:
        calls.append(time.monotonic())
        raise RuntimeError("partner still down")

    runtime = await world.runtime(
        subscriptions={world.event_type: always_failing},
        consumer_options={"max_deliver": 3, "ack_wait": 0.6, "backoff_max": 5.0},
    )
    consumer = runtime.consumers[0]
    info = await consumer.bus.js.consumer_info(consumer.stream, consumer.durable)
    assert info.config.backoff == [0.6, 1.2]  # the schedule lives on the server
    world.publish(1)
    await world.wait_until(lambda: consumer.dead_lettered_total == 1)
    # Each delivery fails in the batch transaction, then alone: compare the lone attempts.
    assert len(calls) == 6, calls
    attempts = calls[1::2]
    first, second = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert first >= 0.45, calls
    assert second >= 1.05, calls
    [letter] = await runtime.dead_letters()
    assert letter.deliveries == 3
    await _settled(world, consumer)
