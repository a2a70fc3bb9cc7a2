"""Event pipeline throughput: outbox -> relay -> JetStream -> consumer (with inbox) vs. raw
nats-py JetStream asynchronous publishing, measured in the same run on a private nats-server.

    .venv/bin/python bench/event_pipeline.py [--events 20000] [--raw-events 20000] [--rounds 3]
        [--rate 1000] [--rate-seconds 10] [--strict]

(a) raw: one nats-py client `js.publish_async`es envelope-sized messages (no headers) into a
    file-backed stream, then waits for every ack. (a) runs before and after every run of (b),
    and each run of (b) is compared with the better of its two neighbours, so the ratio errs
    against the pipeline and load from other processes affects both sides alike.
(b) pipeline: the producing service's SQLite outbox holds N events committed through
    `add_event` (100 per transaction; that write rate is printed too, it is not part of (b)).
    The producing service, in its own process as in production, starts its relay, which
    publishes them (Msg-Id, trace headers, acks, rows marked sent); the consuming service (this
    process) runs the durable pull consumer: each event is validated against its JSON schema,
    its handler runs in the transaction that also inserts the inbox rows in the consumer's own
    SQLite database, then the messages are acknowledged. The clock runs from the relay's start
    to the consumer's last commit; inbox rows and effects are counted afterwards.

Both processes settle their heap after start-up as a service's `serve` does
(`servicekit.heap.settle_heap`: start-up objects frozen, young collections every 10,000
allocations), which applies to (a) too, as it runs in the consumer's process.

(b) runs with the OpenTelemetry SDK installed as `create_service_app` installs it, in two forms:
- "pipeline", `--rounds` times: no span exporter is configured (the default without
  OTEL_EXPORTER_OTLP_ENDPOINT; the trace context still travels), and the handler only counts
  (its own work is the application's, not the pipeline's; the inbox rows are written as
  always). This is the pipeline's own cost, compared with the target.
- "service-like", once: the handler writes one projection row per event, and a span processor
  receives every span (as with an exporter, minus the exporting), for orientation.

(c) latency: the producing service commits `--rate` events/s through `add_event` (10 per
    transaction) for `--rate-seconds` while its relay runs; the consumer records, per event,
    the time from the event's `time` (set by `add_event`) to its handler: p50, p99, max
    (its CPU per event includes the producer's `add_event` commits and idle polling).

Targets (issue 10): (b) reaches at least 50 % of (a) (the median ratio of the pipeline runs),
and (c) has p99 under 50 ms at 1,000 events/s. Exit status 0 unless something broke;
`--strict` also exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import ClassVar

import nats
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlmodel import Session

from devkit.testing.nats import NatsServer
from servicekit.db import make_engine
from servicekit.events import CloudEvent, EventPayload, EventRuntime, add_event, attach_event_tables
from servicekit.events.bus import stream_name
from servicekit.events.outbox import TABLES
from servicekit.heap import settle_heap
from servicekit.settings import Environment, ServiceSettings
from servicekit.telemetry import setup_telemetry

TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
RATE_TRANSACTION = 10
TRANSACTION_SIZE = 100
PRODUCER = "benchreg"


class CameraWentOffline(EventPayload):
    """Benchmark event shaped like a registry camera event."""

    event_type: ClassVar[str] = f"{PRODUCER}.camera.went_offline.v1"
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


class CountingProcessor(SpanProcessor):
    """Receives every ended span (as an exporter's processor would) and only counts them."""

    def __init__(self) -> None:
        self.ended = 0

    def on_end(self, span: ReadableSpan) -> None:
        self.ended += 1


def service_settings(service: str, url: str) -> ServiceSettings:
    return ServiceSettings(
        service_name=service, environment=Environment.TEST, nats_url=url, log_json=False
    )


# -- (a) -----------------------------------------------------------------------------------


@dataclass
class Measure:
    rate: float
    cpu_us: dict[str, float]
    latencies: list[float] = field(default_factory=list)  # seconds, (c) only

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def raw_publish(url: str, count: int, payload: bytes, server_pid: int | None) -> Measure:
    """Events/s of plain nats-py JetStream publish_async, waiting for all acks."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAWBENCH", subjects=["rawbench.>"], storage="file")
    subject = "rawbench.camera.went_offline.v1"
    for _ in range(500):  # warm-up
        await js.publish_async(subject, payload)
    await js.publish_async_completed()
    server_cpu = process_cpu_seconds(server_pid)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await js.publish_async(subject, payload)
    await js.publish_async_completed()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    server_cpu = process_cpu_seconds(server_pid) - server_cpu
    await js.delete_stream("RAWBENCH")
    await nc.close()
    return Measure(
        count / elapsed,
        {"publisher": cpu / count * 1e6, "nats-server": server_cpu / count * 1e6},
    )


# -- (b) -----------------------------------------------------------------------------------


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


def write_at_rate(engine: Engine, rate: float, seconds: float) -> None:
    """Commit `rate` events/s through add_event for `seconds`, 10 per transaction."""
    step = RATE_TRANSACTION / rate
    due = time.perf_counter()
    for first in range(0, round(rate * seconds), RATE_TRANSACTION):
        due += step
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        with Session(engine) as session:
            for i in range(first, first + RATE_TRANSACTION):
                add_event(session, sample_payload(i), subject=f"cam-{i:08d}")
            session.commit()


async def run_producer_relay(
    database: Path, url: str, *, rate: float | None = None, seconds: float = 0.0
) -> None:
    """The producing service's process: its relay publishes the outbox on "go" from stdin;
    with `rate`, the process also commits events at that rate (its relay wakes on commits)."""
    metadata = MetaData()
    attach_event_tables(metadata)
    engine = make_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    runtime = EventRuntime(
        settings=service_settings(PRODUCER, url),
        engine=engine,
        metadata=metadata,
        subscriptions={},
    )
    await runtime.bus.connect(within=10)
    await runtime.bus.ensure_stream(PRODUCER)
    settle_heap()  # as `serve` does once the service is built
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    cpu = time.process_time()
    await runtime.start()
    if rate:
        await asyncio.to_thread(write_at_rate, engine, rate, seconds)
    await asyncio.to_thread(sys.stdin.readline)  # "stop" (or EOF)
    await runtime.stop()
    cpu = time.process_time() - cpu
    print(f"published {runtime.relay.published_total} cpu {cpu}", flush=True)


async def pipeline(
    url: str,
    count: int,
    workdir: Path,
    server_pid: int | None,
    *,
    projection: bool,
    rate: float | None = None,
) -> Measure:
    """Events/s from the producer's relay start to the consumer's last commit.

    With `projection` the handler writes one row per event (a service's projection); without,
    it only counts, so the figure is the pipeline's own cost (the inbox rows are still written).
    """
    contracts = workdir / "contracts" / "events"
    schema_file = contracts / PRODUCER / f"{CameraWentOffline.event_type}.json"
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
    counted: list[str] = []

    def project(event: CloudEvent, session: Session) -> None:
        data = event.data
        session.connection().execute(
            record,
            {"event_id": event.id, "camera_id": data["camera_id"], "sequence": data["sequence"]},
        )

    def count_only(event: CloudEvent, session: Session) -> None:
        counted.append(event.id)

    latencies: list[float] = []

    def timed(event: CloudEvent, session: Session) -> None:
        latencies.append(time.time() - event.time.timestamp())
        counted.append(event.id)

    consumer = EventRuntime(
        settings=service_settings("benchinc", url),
        engine=consumer_engine,
        metadata=consumer_metadata,
        subscriptions={
            CameraWentOffline.event_type: project if projection else timed if rate else count_only
        },
        contracts_dir=contracts,
    )
    await consumer.start()
    [worker] = consumer.consumers

    at_rate = ["--rate", str(rate), "--rate-seconds", str(count / rate)] if rate else []
    producer = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--producer-relay",
        str(workdir / "producer.db"),
        url,
        *at_rate,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert producer.stdin is not None and producer.stdout is not None
    line = await producer.stdout.readline()
    if line.strip() != b"ready":
        raise SystemExit(f"producer relay failed to start: {line!r}")
    server_cpu = process_cpu_seconds(server_pid)
    started, cpu = time.perf_counter(), time.process_time()
    producer.stdin.write(b"go\n")
    await producer.stdin.drain()
    while worker.handled_total < count:  # noqa: ASYNC110 - polling a counter is the point
        await asyncio.sleep(0.005)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    server_cpu = process_cpu_seconds(server_pid) - server_cpu
    producer.stdin.write(b"stop\n")
    await producer.stdin.drain()
    published, _, relay_cpu = (await producer.stdout.readline()).decode().strip().partition(" cpu ")
    await producer.wait()

    with consumer_engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(offline)).scalar_one()
        inbox = connection.execute(select(func.count()).select_from(TABLES.inbox)).scalar_one()
    await consumer.stop()
    consumer_engine.dispose()
    effects = rows if projection else len(set(counted))
    if inbox != count or effects != count or published != f"published {count}":
        raise SystemExit(
            f"pipeline lost or doubled events: {inbox} inbox rows, {effects} effects, {published}"
        )
    return Measure(
        count / elapsed,
        {
            "relay": float(relay_cpu) / count * 1e6,
            "consumer": cpu / count * 1e6,
            "nats-server": server_cpu / count * 1e6,
        },
        latencies,
    )


async def drop_stream(url: str) -> None:
    """Remove the producer's stream (and its consumers) between the two runs of (b)."""
    nc = await nats.connect(url)
    await nc.jetstream().delete_stream(stream_name(PRODUCER))
    await nc.close()


# -- report --------------------------------------------------------------------------------


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
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} at start"
    )


def verdict(ok: bool) -> str:
    return "meets it" if ok else "MISSES it"


def cpu_text(measure: Measure) -> str:
    return ", ".join(f"{name} {us:.0f} us" for name, us in measure.cpu_us.items())


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="events per run of (b)")
    parser.add_argument("--raw-events", type=int, default=20_000, help="events per run of (a)")
    parser.add_argument("--rounds", type=int, default=3, help="untraced runs of (b)")
    parser.add_argument("--rate", type=float, default=None, help="events/s in (c) (1000)")
    parser.add_argument("--rate-seconds", type=float, default=10.0, help="seconds of (c)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--producer-relay", nargs=2, metavar=("DATABASE", "NATS_URL"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.producer_relay:
        setup_telemetry(service_settings(PRODUCER, ""))
        database, url = args.producer_relay
        await run_producer_relay(
            Path(database),
            url,
            rate=args.rate,
            seconds=args.rate_seconds,
        )
        return 0
    rate = args.rate or 1000.0
    provider = setup_telemetry(service_settings("bench", ""))  # as create_service_app does
    spans = CountingProcessor()

    envelope = CloudEvent.new(sample_payload(1), subject="cam-00000001").to_json().encode()
    print(f"machine: {machine()}")
    # (a) and (b) alternate, so each run of (b) is compared with the raw runs just before and
    # after it (the better of the two): load from other processes affects both alike.
    pipeline_only = "pipeline (inbox only, no span exporter)"
    service_like = "projection row per event, every span recorded"
    plan = [(pipeline_only, False)] * args.rounds + [(service_like, True)]
    raws: list[Measure] = []
    runs: list[tuple[str, Measure, float]] = []
    with tempfile.TemporaryDirectory(prefix="camwatch-bench-") as tmp:
        workdir = Path(tmp)
        with NatsServer(workdir / "nats") as server:
            print(
                f"nats-server {await _server_version(server.url)}, nats-py {version('nats-py')}, "
                f"envelope {len(envelope)} bytes; (a) {args.raw_events} events per run, "
                f"(b) {args.events} events per run"
            )
            # Warm-up (not measured): first-use costs of both sides (statement compilation,
            # schema loading, stream files) stay out of the figures, as (a) warms up too.
            warmup = workdir / "warmup"
            warmup.mkdir()
            write_outbox(warmup / "producer.db", 1000)
            await pipeline(server.url, 1000, warmup, server.pid, projection=True)
            await drop_stream(server.url)
            settle_heap()  # as `serve` does once the service is built (both processes)
            # (c) first, without the span processor (as the pipeline runs)
            run_dir = workdir / "latency"
            run_dir.mkdir()
            timed = await pipeline(
                server.url,
                round(rate * args.rate_seconds),
                run_dir,
                server.pid,
                projection=False,
                rate=rate,
            )
            raws.append(await raw_publish(server.url, args.raw_events, envelope, server.pid))
            for index, (name, projection) in enumerate(plan):
                if projection:  # from now on every span reaches a processor, as with an exporter
                    provider.add_span_processor(spans)
                run_dir = workdir / f"run-{index}"
                run_dir.mkdir()
                writes = write_outbox(run_dir / "producer.db", args.events)
                measure = await pipeline(
                    server.url, args.events, run_dir, server.pid, projection=projection
                )
                runs.append((name, measure, writes))
                await drop_stream(server.url)
                raws.append(await raw_publish(server.url, args.raw_events, envelope, server.pid))

    print("(a) raw JetStream publish_async, one nats-py client, file storage:")
    print("    " + ", ".join(f"{raw.rate:,.0f}" for raw in raws) + " events/s")
    print(f"    CPU per event: {cpu_text(raws[0])}")
    print("(b) outbox -> relay -> JetStream -> consumer + inbox, SQLite:")
    ratios: list[float] = []
    for index, (name, measure, writes) in enumerate(runs):
        raw = max(raws[index].rate, raws[index + 1].rate)
        ratio = measure.rate / raw
        if name == pipeline_only:
            ratios.append(ratio)
        print(
            f"    {name}: {measure.rate:,.0f} events/s = {ratio:.1%} of (a) around it; "
            f"CPU per event: {cpu_text(measure)}; outbox writes {writes:,.0f} events/s"
        )
    print(f"    spans recorded in the last run: {spans.ended:,} (create and consumer spans)")
    p99 = timed.percentile_ms(99)
    print(
        f"(c) {rate:,.0f} events/s for {args.rate_seconds:g} s, add_event -> handler: "
        f"p50 {timed.percentile_ms(50):.1f} ms, p99 {p99:.1f} ms, "
        f"max {timed.percentile_ms(100):.1f} ms; "
        f"CPU per event: {cpu_text(timed)}"
    )
    ratio = statistics.median(ratios)
    met = ratio >= TARGET_RATIO and p99 < TARGET_P99_MS
    print(
        f"target: (b) >= {TARGET_RATIO:.0%} of (a): median {ratio:.1%} over {len(ratios)} runs "
        f"({', '.join(f'{r:.1%}' for r in ratios)}), {verdict(ratio >= TARGET_RATIO)}; "
        f"(c) p99 < {TARGET_P99_MS:.0f} ms at {rate:,.0f} events/s: "
        f"{verdict(p99 < TARGET_P99_MS)}; "
        f"load average {os.getloadavg()[0]:.2f} at the end"
    )
    return 1 if args.strict and not met else 0


async def _server_version(url: str) -> str:
    nc = await nats.connect(url)
    server_version = str(nc.connected_server_version).removeprefix("<nats server v")
    await nc.close()
    return server_version.rstrip(">")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
