"""The outbox: rows commit with the caller's transaction, commits wake the relay, the relay
publishes, survives failures, and two PostgreSQL relays never publish the same rows."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import MetaData, insert
from sqlmodel import Session

from servicekit.events import EventBus, EventRuntime, OutboxRelay, add_event, attach_event_tables
from servicekit.events.bus import OutgoingMessage
from servicekit.events.outbox import TABLES, outbox_row, register_waker, unregister_waker


def test_attach_event_tables_is_idempotent():
    metadata = MetaData()
    first = attach_event_tables(metadata)
    second = attach_event_tables(metadata)
    assert first.outbox is second.outbox and first.inbox is second.inbox
    assert set(metadata.tables) == {"event_outbox", "event_inbox"}
    assert [c.name for c in first.inbox.primary_key.columns] == ["consumer", "event_id"]


def test_runtime_refuses_metadata_without_event_tables(world):
    with pytest.raises(RuntimeError, match="attach_event_tables"):
        EventRuntime(
            settings=world.settings("nobody"),
            engine=world.engine,
            metadata=MetaData(),
            subscriptions={},
        )


def test_event_commits_with_the_transaction_and_wakes_the_relay(world):
    wakes: list[int] = []

    def waker() -> None:
        wakes.append(1)

    register_waker(world.engine, waker)
    try:
        with Session(world.engine) as session:
            add_event(session, world.payload(n=1), subject="w1")
            session.rollback()
        assert world.outbox_unsent() == 0
        assert wakes == []

        with Session(world.engine) as session:
            add_event(session, world.payload(n=2), subject="w2")
            session.commit()
            session.commit()  # a later commit without new events wakes nobody
        assert world.outbox_unsent() == 1
        assert wakes == [1]
    finally:
        unregister_waker(world.engine, waker)


async def test_relay_wakes_on_commit_instead_of_waiting_for_the_poll(world):
    runtime = await world.runtime(
        subscriptions={world.event_type: world.record_effect},
        relay_options={"poll_interval": 30.0},
    )
    await asyncio.sleep(0.3)  # the relay is now idle, polling only every 30 s
    loop = asyncio.get_running_loop()
    started = loop.time()
    world.publish(1)
    await world.wait_until(lambda: world.effect_count() == 1, timeout=10)
    assert loop.time() - started < 5
    # The consumer may see the event before the relay has marked its row sent.
    await world.wait_until(lambda: runtime.relay.published_total == 1)


async def test_relay_polls_for_rows_committed_elsewhere(world):
    runtime = await world.runtime(
        subscriptions={world.event_type: world.record_effect},
        relay_options={"poll_interval": 0.3},
    )
    [event] = world.publish(1)
    await world.wait_until(lambda: world.effect_count() == 1)
    # A row committed by "another process": written without a session, so nothing wakes the
    # relay; its periodic poll finds it.
    copy = event.model_copy(update={"id": "00000000-0000-4000-8000-000000000001"})
    with world.engine.begin() as connection:
        connection.execute(insert(TABLES.outbox), [outbox_row(copy, {})])
    await world.wait_until(lambda: world.effect_count() == 2, timeout=10)
    await world.wait_until(lambda: runtime.relay.published_total == 2)
    assert world.outbox_unsent() == 0


async def test_running_relay_overlaps_rounds_without_claiming_a_row_twice(world):
    world.publish(2000)
    runtime = await world.runtime(relay_options={"batch_size": 200})
    await world.wait_until(lambda: runtime.relay.published_total >= 2000, timeout=60)
    await asyncio.sleep(0.5)  # any round still in flight finishes
    # Each row was claimed by exactly one round although two rounds were in flight at once
    # (a row claimed twice would be published and counted twice).
    assert runtime.relay.published_total == 2000
    assert world.outbox_unsent() == 0
    assert await world.stream_messages() == 2000


async def test_relay_publishes_in_batches_and_marks_rows_sent(world):
    world.publish(250)
    bus = EventBus(world.nats_url)
    assert await bus.connect(within=10)
    try:
        relay = OutboxRelay(engine=world.engine, bus=bus, batch_size=100)
        rounds = [await relay.run_once() for _ in range(4)]
        assert rounds == [(100, 100), (100, 100), (50, 50), (0, 0)]
        assert world.outbox_unsent() == 0
        assert await world.stream_messages() == 250
        assert relay.prune() == 0  # published just now: kept for the retention period
    finally:
        await bus.close()


async def test_relay_leaves_rows_unsent_when_nats_does_not_ack(world):
    world.publish(3)
    bus = EventBus(world.nats_url)
    assert await bus.connect(within=10)
    try:
        await bus.ensure_stream(world.producer)
        await bus.js.delete_stream(world.stream)  # publishes now get no stream to land in
        bus._ensured.clear()
        bus.ensure_stream = _never_ensure  # type: ignore[method-assign]
        relay = OutboxRelay(engine=world.engine, bus=bus, publish_timeout=1.0)
        assert await relay.run_once() == (3, 0)
        assert world.outbox_unsent() == 3
    finally:
        await bus.close()


async def test_publish_many_answers_each_message_of_a_batch(world):
    bus = EventBus(world.nats_url)
    assert await bus.connect(within=10)
    try:
        await bus.ensure_stream(world.producer)
        subject = world.event_type
        batch = [
            OutgoingMessage(subject, b"{}", msg_id="m-1"),
            OutgoingMessage(f"nostream{world.producer}.x.y.v1", b"{}", msg_id="m-2"),
            OutgoingMessage(subject, b"{}", msg_id="m-1"),  # a duplicate is stored (once)
            OutgoingMessage(subject, b"{}", msg_id="m-3", headers={"traceparent": "kept"}),
        ]
        assert await bus.publish_many(batch, ack_timeout=5.0) == [True, False, True, True]
        assert await bus.publish_many(batch[:1], ack_timeout=5.0) == [True]
        assert await world.stream_messages() == 2
    finally:
        await bus.close()


async def _never_ensure(service: str) -> str:
    return f"CAMWATCH_{service.upper()}"


async def test_two_postgresql_relays_never_publish_the_same_row(world):
    if world.database.kind != "postgresql":
        pytest.skip("FOR UPDATE SKIP LOCKED claims are a PostgreSQL feature")
    world.publish(600)
    buses = [EventBus(world.nats_url, name=f"relay-{i}") for i in range(2)]
    for bus in buses:
        assert await bus.connect(within=10)
    try:
        relays = [OutboxRelay(engine=world.engine, bus=bus, batch_size=50) for bus in buses]

        async def drain(relay: OutboxRelay) -> None:
            while (await relay.run_once())[0]:
                pass

        await asyncio.gather(*(drain(relay) for relay in relays))
        assert world.outbox_unsent() == 0
        assert all(relay.published_total > 0 for relay in relays)
        assert sum(relay.published_total for relay in relays) == 600
        assert await world.stream_messages() == 600
    finally:
        for bus in buses:
            await bus.close()


async def test_streams_are_ensured_idempotently(world):
    bus = EventBus(world.nats_url)
    assert await bus.connect(within=10)
    other = EventBus(world.nats_url)
    assert await other.connect(within=10)
    try:
        assert await bus.ensure_stream(world.producer) == world.stream
        assert await other.ensure_stream(world.producer) == world.stream
        info = await bus.js.stream_info(world.stream)
        assert info.config.subjects == [f"{world.producer}.>"]
        assert info.config.duplicate_window == 120.0
        assert info.config.storage == "file"
        assert await bus.ensure_deadletter_stream() == "CAMWATCH_DEADLETTER"
        dead = await bus.js.stream_info("CAMWATCH_DEADLETTER")
        assert dead.config.subjects == ["deadletter.>"]
    finally:
        await bus.close()
        await other.close()
