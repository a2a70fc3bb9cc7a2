"""The proof: an event committed through the outbox reaches a consumer exactly once, even when
the relay process is killed between the commit and the publish, or between the publish and
marking the row sent, and then restarted."""

from __future__ import annotations

import asyncio
import signal

import pytest


@pytest.mark.parametrize("kill_point", ["claimed", "published"])
async def test_relay_killed_mid_flight_then_restarted_delivers_exactly_once(world, kill_point):
    [event] = world.publish(1)  # committed together with the (here empty) business change
    assert world.outbox_unsent() == 1

    crashed = await asyncio.to_thread(world.run_relay_process, kill_point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert world.outbox_unsent() == 1, "the killed relay must not have marked the row sent"
    assert await world.stream_messages() == (1 if kill_point == "published" else 0)

    restarted = await asyncio.to_thread(world.run_relay_process, "none")
    assert restarted.returncode == 0, restarted.stderr
    assert "relayed 1" in restarted.stdout
    assert world.outbox_unsent() == 0
    # The re-publish after "published" carried the same Nats-Msg-Id: the stream dropped it.
    assert await world.stream_messages() == 1

    consumer = await world.consumer(world.record_effect)
    await world.wait_until(lambda: world.effect_count() >= 1)
    await world.wait_until(lambda: world.inbox_count() == 1)
    pending = await consumer.bus.consumer_pending(consumer.stream, consumer.durable)
    assert pending == (0, 0) or await _settles(world, consumer)
    assert world.effect_count() == 1
    assert world.distinct_effects() == 1

    # A consumer restarted on the same durable gets nothing again.
    await consumer.stop()
    again = await world.consumer(world.record_effect)
    await asyncio.sleep(1.0)
    assert again.handled_total == 0
    assert world.effect_count() == 1
    assert world.inbox_count() == 1
    with world.engine.connect() as connection:
        rows = connection.execute(world.effects.select()).all()
    assert [row.event_id for row in rows] == [event.id]


async def _settles(world, consumer) -> bool:
    async def settled() -> bool:
        return await consumer.bus.consumer_pending(consumer.stream, consumer.durable) == (0, 0)

    for _ in range(100):
        if await settled():
            return True
        await asyncio.sleep(0.1)
    return False
