"""The heartbeat benchmark's own arithmetic: every accepted state is counted once."""

import asyncio
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_heartbeats", ROOT / "bench" / "heartbeats.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_concurrent_senders_count_every_accepted_state():
    bench = load_bench()
    numbers = {f"epe-{e}": [f"C{c:03d}" for c in range(10)] for e in range(4)}
    sent: list[int] = []

    async def service(_client, _base, _headers, _epe, cameras):
        # Answers after a real suspension, as the HTTP call does, so senders interleave.
        await asyncio.sleep(0)
        await asyncio.sleep(0.001)
        sent.append(len(cameras))
        return len(cameras)

    counts = await bench.count_capacity(
        "http://unused", {e: {} for e in numbers}, numbers, seconds=0.3, clients=8, push=service
    )
    assert counts.requests == len(sent) > 8
    assert counts.accepted == sum(sent) == 10 * len(sent)
    assert counts.elapsed >= 0.3
