"""NATS going away (restart mid-stream, or down when the service starts) loses no event."""

from __future__ import annotations

import asyncio

import pytest

from devkit.testing.nats import NatsServer
from devkit.testing.ports import free_port


@pytest.mark.parametrize("crash", [False, True], ids=["stopped", "killed"])
async def test_nats_restarted_mid_stream_loses_no_event(world, tmp_path, crash):
    server = NatsServer(tmp_path / "nats-restart")
    world.nats_url = await asyncio.to_thread(server.start)
    try:
        runtime = await world.runtime(subscriptions={world.event_type: world.record_effect})
        for batch in range(5):
            world.publish(20, start=batch * 20)
            await asyncio.sleep(0.05)
        await world.wait_until(lambda: world.effect_count() >= 20)

        # The server goes away with events in flight (SIGTERM, or SIGKILL as a crash would).
        await asyncio.to_thread(server.kill if crash else server.stop)
        for batch in range(5, 10):
            world.publish(20, start=batch * 20)  # committed while NATS is down
        await asyncio.sleep(1.0)
        assert not runtime.connected
        await asyncio.to_thread(server.start)  # same port, same store

        await world.wait_until(lambda: world.effect_count() >= 200, timeout=60)
        await world.wait_until(lambda: world.outbox_unsent() == 0)
        await asyncio.sleep(0.5)
        assert runtime.connected
        assert world.effect_count() == 200
        assert world.distinct_effects() == 200
        assert world.inbox_count() == 200
        assert await world.stream_messages() == 200
    finally:
        await world.close()
        await asyncio.to_thread(server.stop)


async def test_service_starts_while_nats_is_down_and_catches_up(world, tmp_path):
    port = free_port()
    server = NatsServer(tmp_path / "nats-late", port=port)
    world.nats_url = server.url  # nothing listens there yet
    try:
        runtime = await world.runtime(subscriptions={world.event_type: world.record_effect})
        assert not runtime.connected
        world.publish(5)
        await asyncio.sleep(0.5)
        assert world.outbox_unsent() == 5

        await asyncio.to_thread(server.start)
        await world.wait_until(lambda: world.effect_count() == 5, timeout=60)
        await world.wait_until(lambda: world.outbox_unsent() == 0)  # marked after the acks
        assert runtime.connected
        assert world.inbox_count() == 5
    finally:
        await world.close()
        await asyncio.to_thread(server.stop)
