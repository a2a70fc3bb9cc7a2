"""Event pipeline throughput: outbox -> relay -> JetStream -> consumer (with inbox) vs. raw
nats-py JetStream asynchronous publishing, measured in the same run on a private nats-server.

    .venv/bin/python bench/event_pipeline.py [--events 20000] [--raw-events 50000]

(a) raw: `js.publish_async` of envelope-sized messages, then wait for every ack.
(b) pipeline: the producing service's outbox (SQLite) holds N events committed through
    `add_event` (100 per transaction; that write rate is printed too). The producing service,
    in its own process as in production, starts its relay, which publishes them; the consuming
    service (this process) runs a durable consumer that validates each event against its JSON
    schema and runs a handler writing one row into the consumer's own SQLite database, in the
    transaction that also inserts the inbox rows, then acknowledges. The clock runs from the
    relay's start to the consumer's last commit.

Target (issue 2): (b) reaches at least 25 % of (a). Exits 1 when it does not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

import nats
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlmodel import Session

from servicekit.db import make_engine
from servicekit.events import CloudEvent, EventPayload, EventRuntime, add_event, attach_event_tables
from servicekit.settings import Environment, ServiceSettings
from servicekit.telemetry import setup_telemetry
from servicekit.testing.nats import NatsServer

TARGET_RATIO = 0.25
TRANSACTION_SIZE = 100
CPU_US: dict[str, float] = {}
"""Process CPU time per event (microseconds) of each measured part, for orientation."""


class CameraWentOffline(EventPayload):
    """Benchmark event shaped like a registry camera event."""

    event_type: ClassVar[str] = "benchreg.camera.went_offline.v1"
    camera_id: str
    epe_id: str
    area: str
    reason: str
    sequence: int


def sample_payload(i: int) -> CameraWentOffline:
    return CameraWentOffline(
        camera_id=f"cam-{i:08d}",
        epe_id=f"epe-{i % 97:04d}",
        area="gate-in",
        reason="no video frames for 60 seconds",
        sequence=i,
    )


async def raw_publish(url: str, count: int, payload: bytes) -> float:
    """Events/s of plain nats-py JetStream publish_async, waiting for all acks."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAWBENCH", subjects=["rawbench.>"], storage="file")
    subject = "rawbench.camera.went_offline.v1"
    for _ in range(500):  # warm-up
        await js.publish_async(subject, payload)
    await js.publish_async_completed()
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await js.publish_async(subject, payload)
    await js.publish_async_completed()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await js.delete_stream("RAWBENCH")
    await nc.close()
    CPU_US[f"raw{len(CPU_US)}"] = cpu / count * 1e6
    return count / elapsed


def write_outbox(database: Path, count: int) -> float:
    """Commit `count` events through add_event, 100 per transaction; returns events/s."""
    metadata = MetaData()
    attach_event_tables(metadata)
    engine = make_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    started = time.perf_counter()
    for first in range(0, count, TRANSACTION_SIZE):
        with Session(engine) as session:
            for i in range(first, min(first + TRANSACTION_SIZE, count)):
                add_event(session, sample_payload(i), subject=f"cam-{i:08d}")
            session.commit()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return count / elapsed


def service_settings(service: str, url: str) -> ServiceSettings:
    return ServiceSettings(
        service_name=service, environment=Environment.TEST, nats_url=url, log_json=False
    )


async def run_producer_relay(database: Path, url: str) -> None:
    """The producing service's process: its relay publishes the outbox, on "go" from stdin."""
    metadata = MetaData()
    attach_event_tables(metadata)
    engine = make_engine(f"sqlite:///{database}")
    runtime = EventRuntime(
        settings=service_settings("benchreg", url),
        engine=engine,
        metadata=metadata,
        subscriptions={},
        relay_options={"poll_interval": 3600.0},  # started below, woken explicitly
    )
    await runtime.bus.connect(within=10)
    await runtime.bus.ensure_stream("benchreg")
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    cpu = time.process_time()
    await runtime.start()
    await asyncio.to_thread(sys.stdin.readline)  # "stop" (or EOF)
    await runtime.stop()
    cpu = time.process_time() - cpu
    print(f"published {runtime.relay.published_total} cpu {cpu}", flush=True)


async def pipeline(url: str, count: int, workdir: Path) -> float:
    """Events/s from the producer's relay start to the consumer's last commit."""
    contracts = workdir / "contracts" / "events"
    schema_file = contracts / "benchreg" / f"{CameraWentOffline.event_type}.json"
    schema_file.parent.mkdir(parents=True)
    schema_file.write_text(json.dumps(CameraWentOffline.json_schema()))

    consumer_metadata = MetaData()
    attach_event_tables(consumer_metadata)
    offline = Table(
        "camera_offline",
        consumer_metadata,
        Column("event_id", String(36), primary_key=True),
        Column("camera_id", String(40), nullable=False),
        Column("sequence", Integer, nullable=False),
    )
    consumer_engine = make_engine(f"sqlite:///{workdir / 'consumer.db'}")
    consumer_metadata.create_all(consumer_engine)
    record = insert(offline)

    def project(event: CloudEvent, session: Session) -> None:
        data = event.data
        session.connection().execute(
            record,
            {"event_id": event.id, "camera_id": data["camera_id"], "sequence": data["sequence"]},
        )

    consumer = EventRuntime(
        settings=service_settings("benchinc", url),
        engine=consumer_engine,
        metadata=consumer_metadata,
        subscriptions={CameraWentOffline.event_type: project},
        contracts_dir=contracts,
    )
    await consumer.start()
    [worker] = consumer.consumers

    producer = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--producer-relay",
        str(workdir / "producer.db"),
        url,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert producer.stdin is not None and producer.stdout is not None
    line = await producer.stdout.readline()
    if line.strip() != b"ready":
        raise SystemExit(f"producer relay failed to start: {line!r}")
    started, cpu = time.perf_counter(), time.process_time()
    producer.stdin.write(b"go\n")
    await producer.stdin.drain()
    while worker.handled_total < count:  # noqa: ASYNC110 - polling a counter is the point
        await asyncio.sleep(0.005)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    producer.stdin.write(b"stop\n")
    await producer.stdin.drain()
    published, _, relay_cpu = (await producer.stdout.readline()).decode().strip().partition(" cpu ")
    await producer.wait()
    CPU_US["relay"] = float(relay_cpu) / count * 1e6
    CPU_US["consumer"] = cpu / count * 1e6

    with consumer_engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(offline)).scalar_one()
    await consumer.stop()
    if rows != count or published != f"published {count}":
        raise SystemExit(f"pipeline lost or doubled events: {rows} rows, {published}")
    return count / elapsed


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0]
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, load average {load:.2f} at start"
    )


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--raw-events", type=int, default=50_000)
    parser.add_argument("--producer-relay", nargs=2, metavar=("DATABASE", "NATS_URL"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    setup_telemetry(ServiceSettings(service_name="bench"))  # spans recorded as in a service
    if args.producer_relay:
        database, url = args.producer_relay
        await run_producer_relay(Path(database), url)
        return 0

    envelope = CloudEvent.new(sample_payload(1), subject="cam-00000001").to_json().encode()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="camwatch-bench-") as tmp:
        workdir = Path(tmp)
        writes = write_outbox(workdir / "producer.db", args.events)
        with NatsServer(workdir / "nats") as server:
            version = await _server_version(server.url)
            print(f"{version}, nats-py, envelope {len(envelope)} bytes")
            server_cpu = process_cpu_seconds(server.pid)
            raw_before = await raw_publish(server.url, args.raw_events, envelope)
            CPU_US["server_raw"] = (process_cpu_seconds(server.pid) - server_cpu) / args.raw_events
            server_cpu = process_cpu_seconds(server.pid)
            rate = await pipeline(server.url, args.events, workdir)
            CPU_US["server_pipeline"] = (process_cpu_seconds(server.pid) - server_cpu) / args.events
            raw_after = await raw_publish(server.url, args.raw_events, envelope)
    raw = max(raw_before, raw_after)
    print(
        f"(a) raw JetStream publish_async: {raw:,.0f} events/s "
        f"(best of {raw_before:,.0f} before and {raw_after:,.0f} after (b); "
        f"{args.raw_events} events each)"
    )
    print(
        f"(b) outbox -> relay -> JetStream -> consumer + inbox (SQLite): {rate:,.0f} events/s "
        f"({args.events} events)"
    )
    print(f"    producer commits through add_event (100 per transaction): {writes:,.0f} events/s")
    raw_cpu = min(v for k, v in CPU_US.items() if k.startswith("raw"))
    server_raw, server_pipeline = CPU_US["server_raw"] * 1e6, CPU_US["server_pipeline"] * 1e6
    print(
        f"    CPU per event: (a) publisher {raw_cpu:.0f} us + nats-server {server_raw:.0f} us; "
        f"(b) relay {CPU_US['relay']:.0f} us + consumer {CPU_US['consumer']:.0f} us "
        f"+ nats-server {server_pipeline:.0f} us"
    )
    ratio = rate / raw
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"ratio (b)/(a): {ratio:.1%} ({verdict} the {TARGET_RATIO:.0%} target)")
    return 0 if ratio >= TARGET_RATIO else 1


async def _server_version(url: str) -> str:
    nc = await nats.connect(url)
    version = str(nc.connected_server_version)
    await nc.close()
    return version


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
