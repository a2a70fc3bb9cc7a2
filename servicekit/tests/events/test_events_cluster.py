"""Scaled out: two replicas of a producer and two of a consumer on a 3-node JetStream cluster.

The relays compete for the outbox, the consumers share one durable (a consumer group); while
events flow, the node leading the producer's stream (3 replicas) is killed. Every event is
still published and handled exactly once by the group: nothing lost, nothing doubled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from devkit.testing.nats import NatsCluster, NatsServer

pytestmark = pytest.mark.scaleout

EVENTS = 200


@pytest.fixture(scope="module")
def nats_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    cluster = NatsCluster(tmp_path_factory.mktemp("nats-cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def nats_url(nats_cluster: NatsCluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """This module's worlds run on the cluster, their streams with 3 replicas."""
    monkeypatch.setenv("NATS_STREAM_REPLICAS", "3")
    for node in nats_cluster.nodes:
        if not node.running:
            node.start()
    return nats_cluster.url


async def test_a_consumer_group_handles_every_event_once_when_a_node_dies(
    world, nats_cluster: NatsCluster
) -> None:
    consumers = {world.event_type: world.record_effect}
    for _ in range(2):
        await world.runtime()  # a producer replica: its relay competes for the outbox
        await world.runtime(service="consumer", subscriptions=consumers)
    assert world.settings(world.producer).nats_stream_replicas == 3

    world.publish(EVENTS // 2)
    await world.wait_until(lambda: world.effect_count() >= EVENTS // 4, timeout=60)
    leader = await _leader(nats_cluster, world.stream)
    leader.kill()  # mid-flow: some events are in the relays, some in the consumers
    world.publish(EVENTS // 2, start=EVENTS // 2)

    await world.wait_until(lambda: world.distinct_effects() == EVENTS, timeout=120)
    await world.wait_until(lambda: world.outbox_unsent() == 0, timeout=60)
    assert world.effect_count() == EVENTS, "an event was handled twice"
    assert world.inbox_count() == EVENTS
    assert await world.stream_messages() == EVENTS, "published once each (deduplicated)"
    assert await _leader(nats_cluster, world.stream) is not leader


async def _leader(cluster: NatsCluster, stream: str) -> NatsServer:
    """The node leading `stream`, polled: the monitoring view lags an election briefly."""
    for _ in range(100):
        leader = await asyncio.to_thread(cluster.stream_leader, stream)
        if leader is not None:
            return leader
        await asyncio.sleep(0.1)
    raise AssertionError(f"no node leads {stream}")
