"""Scaled out: two gateway processes against a 3-node JetStream cluster share each client's
rate limit, and killing the node that leads the limits' key-value stream mid-load loses
nothing: exactly the budget is admitted, every other request is refused with 429, none fails.

Bounded: 120 requests from 4 threads, a few seconds plus the cluster's start-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from devkit.testing.nats import NatsCluster
from devkit.testing.ports import free_port, wait_for_port

pytestmark = pytest.mark.scaleout

BUDGET = 40  # anonymous requests per address per hour: nothing refills during the test
REQUESTS = 120
KILL_AFTER = 30  # responses before the stream leader is killed


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nats = NatsCluster(tmp_path / "nats")
    nats.start()
    yield nats
    nats.stop()


@pytest.fixture
def gateways(cluster: NatsCluster, tmp_path: Path) -> Iterator[tuple[list[str], str, list[Path]]]:
    bucket = f"ratelimit-{uuid.uuid4().hex[:12]}"
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    logs: list[Path] = []
    for n in range(2):
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "NATS_"))},
            "ENVIRONMENT": "test",
            "LOG_JSON": "false",
            "NATS_URL": cluster.url,
            "NATS_STREAM_REPLICAS": "3",
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_RATE_LIMIT_STORE": "nats",
            "GATEWAY_RATE_LIMIT_BUCKET": bucket,
            "GATEWAY_RATE_LIMIT_ANONYMOUS": f"{BUDGET}/hour",
            # Long enough to wait through a leader election instead of counting locally.
            "GATEWAY_RATE_LIMIT_STORE_TIMEOUT": "30",
            "GATEWAY_GC_TUNED": "false",
        }
        logs.append(tmp_path / f"gateway-{n}.log")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "gateway"],
                env=env,
                stdout=logs[-1].open("wb"),
                stderr=subprocess.STDOUT,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_for_port(int(url.rsplit(":", 1)[1]), timeout=180)
        yield urls, f"KV_{bucket}", logs
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_limits_hold_across_gateways_when_a_nats_node_dies(
    cluster: NatsCluster, gateways: tuple[list[str], str, list[Path]]
) -> None:
    urls, stream, logs = gateways
    # The bucket exists once the first gateway started: find the node leading it.
    # Generous waits: make test starts this beside three other pytest processes.
    deadline = time.monotonic() + 120
    while (leader := cluster.stream_leader(stream)) is None:
        assert time.monotonic() < deadline, "the rate-limit bucket was not created"
        time.sleep(0.2)

    answered = 0
    lock = threading.Lock()
    killed = threading.Event()

    def one(n: int) -> int:
        nonlocal answered
        status = httpx.get(f"{urls[n % 2]}/api/registry/cameras", timeout=30).status_code
        with lock:
            answered += 1
            if answered == KILL_AFTER and not killed.is_set():
                leader.kill()  # SIGKILL, mid-load: the other requests are in flight
                killed.set()
        return status

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(one, range(REQUESTS)))

    assert killed.is_set() and not leader.running
    # Anonymous requests to a protected path: 401 while the budget lasts, then 429.
    assert statuses.count(401) == BUDGET
    assert statuses.count(429) == REQUESTS - BUDGET
    for log in logs:
        assert "counted per replica" not in log.read_text(), "no fallback to local counts"
    # The survivors elected a new leader for the bucket (the monitoring view lags briefly).
    deadline = time.monotonic() + 60
    while (new_leader := cluster.stream_leader(stream)) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert new_leader not in (None, leader)
