"""Rate limits shared by gateway replicas through a JetStream key-value bucket (real NATS).

In-process replicas (each with its own NATS connection) show the arithmetic and the
compare-and-set under concurrency; two `python -m gateway` processes show the deployment:
one client's budget is spent across both, and the refusal is the usual 429 + Retry-After.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from nats.js.errors import NoKeysError

from devkit.testing.nats import NatsServer
from devkit.testing.ports import free_port, wait_for_port
from gateway import ratelimit_nats
from gateway.ratelimit import RateLimits
from gateway.ratelimit_nats import nats_rate_limits
from gateway.settings import GatewaySettings


def settings(nats_url: str, **overrides: object) -> GatewaySettings:
    values: dict[str, object] = {
        "environment": "test",
        "nats_url": nats_url,
        "rate_limit_store": "nats",
        "rate_limit_bucket": f"ratelimit-{uuid.uuid4().hex[:12]}",  # one bucket per test
    }
    values.update(overrides)
    return GatewaySettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def replicas() -> AsyncIterator[Callable[..., object]]:
    """Start `count` replicas' rate limits on the same settings; stopped after the test."""
    started: list[RateLimits] = []

    async def start(config: GatewaySettings, count: int = 2) -> list[RateLimits]:
        group = [nats_rate_limits(config) for _ in range(count)]
        for limits in group:
            await limits.start()
        started.extend(group)
        return group

    yield start
    for limits in started:
        await limits.stop()


async def test_replicas_spend_one_budget_per_client(nats_url: str, replicas) -> None:
    one, two = await replicas(settings(nats_url, rate_limit_authenticated="4/minute"))

    results = [await r.hit("alice", authenticated=True) for r in (one, two) * 3]

    assert results[:4] == [None] * 4
    assert all(wait is not None and 1 <= wait <= 15 for wait in results[4:])
    assert await two.hit("bob", authenticated=True) is None  # another client, its own budget


async def test_concurrent_hits_spend_each_token_once(nats_url: str, replicas) -> None:
    group = await replicas(settings(nats_url, rate_limit_authenticated="10/minute"), count=3)

    results = await asyncio.gather(
        *(group[n % 3].hit("alice", authenticated=True) for n in range(30))
    )

    assert results.count(None) == 10  # compare-and-set: no token is spent twice


async def test_failed_attempts_counted_on_one_replica_lock_out_on_the_other(
    nats_url: str, replicas
) -> None:
    one, two = await replicas(settings(nats_url, rate_limit_failed_attempts="3/minute"))

    for _ in range(3):
        assert await two.failures_exceeded("client:x") is None
        await one.failed("client:x")

    wait = await two.failures_exceeded("client:x")
    assert wait is not None and 1 <= wait <= 20


async def test_entries_expire_after_the_longest_period(nats_url: str, replicas) -> None:
    config = settings(
        nats_url,
        rate_limit_authenticated="2/second",
        rate_limit_anonymous="2/second",
        rate_limit_failed_attempts="2/second",
        rate_limit_credential_address="2/second",
    )
    (one,) = await replicas(config, count=1)
    await one.hit("alice", authenticated=True)
    kv = one._subjects._shared.kv  # type: ignore[attr-defined]
    assert len(await kv.keys()) == 1

    await asyncio.sleep(2.5)  # TTL = longest period (1 s) + 1 s

    with pytest.raises(NoKeysError):
        await kv.keys()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


async def test_a_nats_outage_falls_back_to_per_replica_counts(
    own_nats: NatsServer, replicas, monkeypatch
) -> None:
    config = settings(
        own_nats.url, rate_limit_authenticated="3/minute", rate_limit_store_timeout=0.3
    )
    one, two = await replicas(config)
    assert [await r.hit("alice", authenticated=True) for r in (one, two)] == [None, None]

    own_nats.stop()
    # No error reaches the request: each replica counts alone meanwhile (3 each).
    down = [await one.hit("carol", authenticated=True) for _ in range(4)]
    assert down[:3] == [None] * 3 and down[3] is not None

    # A restarted single server has lost the in-memory bucket: the replicas make it again.
    own_nats.restart()
    deadline = time.monotonic() + 30
    for n in range(10_000):
        await one.hit(f"probe-{n}", authenticated=True)
        await two.hit(f"probe-{n}", authenticated=True)
        shared = (one._subjects._shared, two._subjects._shared)  # type: ignore[attr-defined]
        if not any(s.degraded for s in shared) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert not any(s.degraded for s in shared)
    again = [await r.hit("erin", authenticated=True) for r in (one, two, one, two)]
    assert again[:3] == [None] * 3 and again[3] is not None


async def test_a_gateway_starts_without_nats_and_counts_alone(monkeypatch) -> None:
    monkeypatch.setattr(ratelimit_nats, "START_WAIT", 0.5)
    config = settings(f"nats://127.0.0.1:{free_port()}", rate_limit_authenticated="2/minute")
    limits = nats_rate_limits(config)
    await limits.start()
    try:
        results = [await limits.hit("alice", authenticated=True) for _ in range(3)]
    finally:
        await limits.stop()
    assert results[:2] == [None, None] and results[2] is not None


# --- two gateway processes ---------------------------------------------------------------


@pytest.fixture
def gateway_processes(nats_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two `python -m gateway` processes sharing one rate-limit bucket (5 anonymous/minute)."""
    bucket = f"ratelimit-{uuid.uuid4().hex[:12]}"
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    for n in range(2):
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "NATS_"))},
            "ENVIRONMENT": "test",
            "LOG_JSON": "false",
            "NATS_URL": nats_url,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_RATE_LIMIT_STORE": "nats",
            "GATEWAY_RATE_LIMIT_BUCKET": bucket,
            "GATEWAY_RATE_LIMIT_ANONYMOUS": "5/minute",
            "GATEWAY_GC_TUNED": "false",
        }
        log = (tmp_path / f"gateway-{n}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gateway"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_for_port(int(url.rsplit(":", 1)[1]), timeout=60)
            deadline = time.monotonic() + 30
            while httpx.get(f"{url}/healthz").status_code != 200:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_two_gateway_processes_share_one_limit(gateway_processes: list[str]) -> None:
    first, second = gateway_processes
    # Anonymous requests to a protected path are counted per address before the 401.
    responses = [httpx.get(f"{url}/api/registry/cameras") for url in (first, second) * 4]

    statuses = [r.status_code for r in responses]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3
    for refused in responses[5:]:
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 12
