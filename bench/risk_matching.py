"""Risk matching end to end through the gateway: gate reads in, warnings out (issue 11).

    .venv/bin/python bench/risk_matching.py [--declarations 2000] [--events 400]
        [--concurrency 4] [--database-url postgresql://postgres@127.0.0.1:5432/bench]

Starts the whole stack (devkit.testing.stack: every service and the gateway as processes, a
private NATS, SeaweedFS), preloads `--declarations` cleared export declarations (the
simulator's generator, 5,000 per batch, as the customs system), then in the same run:

(a) raw ingest: `--events` GPS fixes posted one by one as the customs system (a stored row, no
    matching), `--concurrency` senders: requests/s.
(b) matched: `--events` gate reads posted one by one as the EPEs' vendors, every one an
    anomaly (no declaration explains it), so each one is matched against the preloaded
    declarations, its decision stored and a `risk.warning.raised.v1` published through the
    outbox; a core NATS subscription receives them. Matched events/s runs from the first send
    to the last warning received; ingest-to-warning is per read, from its send to its warning.

Prints matched/s, raw/s, their ratio, p50/p99/max ingest-to-warning, the risk service's RSS
(start, peak, end) and the load average. `--database-url` runs the risk service on PostgreSQL
(for the 1,000,000-declaration run: `--declarations 1000000`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats

from devkit.simulator.generate import Generator, Movement
from devkit.testing.nats import NatsServer
from devkit.testing.s3 import SeaweedS3
from devkit.testing.stack import Stack


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class MemorySampler(threading.Thread):
    """The risk service's RSS every 0.2 s while the run lasts."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.done = pid, [rss_mb(pid)], threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.samples.append(rss_mb(self.pid))


def token(stack: Stack, name: str) -> dict[str, str]:
    account = stack.demo[name]
    answer = httpx.post(
        f"{stack.url}/api/access/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account["client_id"], account["client_secret"]),
        timeout=30,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def gates(stack: Stack) -> dict[str, tuple[str, dict[str, str]]]:
    """{tax code: (gate camera id, vendor headers)} of the demo EPEs."""
    found = {}
    for name in ("epe_vendor_1", "epe_vendor_2"):
        headers, epe_id = token(stack, name), stack.demo[name]["epe_id"]
        epe = httpx.get(f"{stack.url}/api/registry/epes/{epe_id}", headers=headers, timeout=30)
        cameras = httpx.get(
            f"{stack.url}/api/registry/epes/{epe_id}/cameras",
            params={"position_kind": "epe_gate"},
            headers=headers,
            timeout=30,
        )
        found[epe.json()["tax_code"]] = (cameras.json()["data"][0]["id"], headers)
    return found


def preload(stack: Stack, generator: Generator, count: int, customs: dict[str, str]) -> float:
    """`count` cleared declarations in batches of 5,000; returns seconds taken."""
    started, now = time.monotonic(), datetime.now(UTC) - timedelta(hours=1)
    with httpx.Client(base_url=stack.url, headers=customs, timeout=300) as api:
        for first in range(0, count, 5000):
            records = []
            for _ in range(min(5000, count - first)):
                movement = generator.movement(now)
                records += movement.declarations
            answer = api.post("/api/risk/customs/declarations/batch", json={"records": records})
            answer.raise_for_status()
    return time.monotonic() - started


async def drive(
    url: str, jobs: list[tuple[str, dict[str, str], dict[str, object]]], concurrency: int
) -> tuple[float, dict[str, float]]:
    """POST every job with `concurrency` senders; (seconds, {response id: send time})."""
    sent: dict[str, float] = {}
    queue = list(reversed(jobs))
    async with httpx.AsyncClient(base_url=url, timeout=60) as api:

        async def sender() -> None:
            while queue:
                path, headers, body = queue.pop()
                at = time.monotonic()
                answer = await api.post(path, headers=headers, json=body)
                if answer.status_code >= 400:
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
                sent[answer.json()["id"]] = at

        started = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return time.monotonic() - started, sent


async def measure(stack: Stack, options: argparse.Namespace) -> dict[str, float]:
    customs = token(stack, "customs_system")
    cameras = gates(stack)
    generator = Generator(
        {tax: camera for tax, (camera, _) in cameras.items()}, seed=options.seed, salt=1
    )
    preload_seconds = preload(stack, generator, options.declarations, customs)
    anomalies = Generator(generator.gates, seed=options.seed + 1, anomaly_share=1.0, salt=2)
    movements: list[Movement] = []
    while len(movements) < options.events:
        movement = anomalies.movement(datetime.now(UTC))
        if not movement.declarations:  # uncleared: one warning per read
            movements.append(movement)
    raw_jobs = [
        ("/api/risk/customs/gps-fixes", customs, m.gps_fixes[0] | {"plate": m.event["plate"]})
        for m in movements
    ]
    gate_jobs = [("/api/risk/gate-events", cameras[m.epe_tax_code][1], m.event) for m in movements]
    raw_seconds, _ = await drive(stack.url, raw_jobs, options.concurrency)

    warned: dict[str, float] = {}
    client = await nats.connect(stack.nats_url)

    async def on_message(message: nats.aio.msg.Msg) -> None:
        envelope = json.loads(message.data)
        if envelope.get("type") == "risk.warning.raised.v1":
            warned.setdefault(envelope["data"]["gate_event_id"], time.monotonic())

    await client.subscribe("risk.>", cb=on_message)
    sampler = MemorySampler(stack_pid(stack, "risk"))
    sampler.start()
    started = time.monotonic()
    gate_seconds, sent = await drive(stack.url, gate_jobs, options.concurrency)
    deadline = time.monotonic() + 120
    while not set(sent) <= set(warned) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await client.drain()
    sampler.done.set()
    matched = [warned[g] - sent[g] for g in sent if g in warned]
    if len(matched) < len(sent):
        print(f"only {len(matched)} of {len(sent)} warnings arrived", file=sys.stderr)
    elapsed = max(warned.values()) - started
    quantiles = statistics.quantiles(matched, n=100)
    return {
        "declarations": options.declarations,
        "preload_s": preload_seconds,
        "events": len(sent),
        "raw_per_s": len(raw_jobs) / raw_seconds,
        "gate_ingest_per_s": len(sent) / gate_seconds,
        "matched_per_s": len(matched) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "max_ms": max(matched) * 1000,
        "rss_start_mb": sampler.samples[0],
        "rss_peak_mb": max(sampler.samples),
        "rss_end_mb": sampler.samples[-1],
    }


def stack_pid(stack: Stack, name: str) -> int:
    """The pid of one of the stack's processes."""
    process = stack.processes[name]._process
    assert process is not None
    return process.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=2000)
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="PostgreSQL for the risk service (else SQLite)")
    options = parser.parse_args()
    # The gateway's per-client rate limit (2,000/minute) would measure itself, not matching.
    extra = {"GATEWAY_RATE_LIMIT_ENABLED": "false"}
    if options.database_url:
        extra["RISK_DATABASE_URL"] = options.database_url
    with tempfile.TemporaryDirectory(prefix="bench-risk-") as work:
        workdir = Path(work)
        nats_server, s3 = NatsServer(workdir / "nats"), SeaweedS3(workdir / "s3")
        nats_url, endpoint = nats_server.start(), s3.start()
        try:
            with Stack(workdir / "stack", nats_url=nats_url, s3=endpoint, extra_env=extra) as stack:
                result = asyncio.run(measure(stack, options))
        finally:
            s3.stop()
            nats_server.stop()
    load = os.getloadavg()
    result["ratio"] = result["matched_per_s"] / result["raw_per_s"]
    for key, value in result.items():
        print(f"{key:>18}: {value:,.2f}")
    print(f"{'load average':>18}: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
