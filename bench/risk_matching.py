"""Risk matching end to end through the gateway: gate reads in, warnings out (issue 11).

    .venv/bin/python bench/risk_matching.py [--declarations 2000] [--events 400]
        [--batch-size 1] [--concurrency 4] [--duration SECONDS] [--preload api|bulk]
        [--database-url postgresql://postgres@127.0.0.1:5432/test] [--schema-prefix bench_risk_]

Starts the whole stack (devkit.testing.stack: every service and the gateway as processes, a
private NATS, SeaweedFS), preloads `--declarations` cleared export declarations (the
simulator's generator), then in the same run:

(a) raw ingest: `--events` GPS fixes as the customs system (a stored row, no matching),
    `--concurrency` senders, one record per request or `--batch-size` per batch request.
(b) matched: gate reads as the EPEs' vendors, every one an anomaly (no declaration explains
    it), so each one is matched against the preloaded declarations, its decision stored and a
    `risk.warning.raised.v1` published through the outbox; a core NATS subscription receives
    them. `--events` reads, or as many as the senders manage in `--duration` seconds (the soak).
    Matched events/s runs from the first send to the last warning received; ingest-to-warning
    is per read, from the send of its request to its warning.

Preload: `api` posts the declarations as the customs system (batches of 5,000, about 800/s
here); `bulk` writes the same rows (same normalisation and digests as ingestion, so a resend
is `unchanged`) straight into the risk database after the stack has migrated it, with COPY on
PostgreSQL and multi-row inserts on SQLite: for the 1,000,000-declaration runs.

`--database-url` runs the risk service on PostgreSQL, in a fresh schema of that database
dropped afterwards. Prints matched/s, raw/s, their ratio, p50/p99/max ingest-to-warning, the
risk service's RSS (start, peak, end, and every minute of a soak), the load average, and the
CPU time per gate read of the risk service, the gateway, NATS and the bench's own senders over
the matched phase (`cpu_ms_per_read_*`, from /proc: the figure that holds on a loaded machine);
on PostgreSQL also all its processes' (`postgresql`, with the exited ones the postmaster reaped)
and the backends serving the risk service still connected at the end (`postgresql_risk`), what
those backends were doing (pg_stat_activity sampled every 20 ms) and the risk schema's table
counters over the phase (on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.aio.msg import Msg
from sqlalchemy import Connection, insert

from devkit.simulator.generate import OWNER_CODES, Generator, Movement
from devkit.testing.nats import NatsServer
from devkit.testing.s3 import SeaweedS3
from devkit.testing.stack import Stack, log_tail
from risk.customs.models import CustomsRecord, RecordRef
from risk.customs.service import digest_of
from servicekit.db import make_engine, normalise_url
from servicekit.ids import new_id
from servicekit.vehicles import PROVINCE_CODES, SERIES_LETTERS

PRELOAD_BATCH = 5000
Job = tuple[str, dict[str, str], list[dict[str, Any]]]


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc/<pid>/stat (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process (the bench itself as `bench`)."""
    return {name: cpu_seconds(pid) for name, pid in pids.items()}


class Autovacuum(threading.Thread):
    """What PostgreSQL's autovacuum daemon would do to the run's schema, for a server that has
    it switched off (the shared test server here: `autovacuum = off`). With its default
    thresholds: a table is analysed once more than 50 + 10 % of its rows changed since its
    last analysis and vacuumed (and analysed) once it holds more than 50 + 20 % dead rows or
    1,000 + 20 % rows were inserted since its last vacuum, checked every `every` seconds.
    Without it the tables the run fills keep the statistics of their empty state (the
    preload's ANALYZE), and the planner answers the batch's lookup of 250 event ids with a
    scan of every gate event of the EPE, slower with each minute of the run."""

    def __init__(self, url: str, schema: str, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(normalise_url(url))
        self.schema, self.every, self.done = schema, every, threading.Event()
        self.runs: collections.Counter[str] = collections.Counter()
        with self.engine.connect() as connection:
            self.enabled = connection.exec_driver_sql("SHOW autovacuum").scalar() == "off"

    def run(self) -> None:
        if not self.enabled:
            return
        query = (
            "SELECT s.relname, s.n_mod_since_analyze, s.n_dead_tup, s.n_ins_since_vacuum, "
            "greatest(c.reltuples, 0) "
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.schemaname = %(schema)s"
        )
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while not self.done.wait(self.every):
                rows = connection.exec_driver_sql(query, {"schema": self.schema}).all()
                for table, changed, dead, inserted, tuples in rows:
                    name = f'"{self.schema}"."{table}"'
                    if dead > 50 + 0.2 * tuples or inserted > 1000 + 0.2 * tuples:
                        connection.exec_driver_sql(f"VACUUM (ANALYZE) {name}")
                        self.runs[f"vacuum {table}"] += 1
                    elif changed > 50 + 0.1 * tuples:
                        connection.exec_driver_sql(f"ANALYZE {name}")
                        self.runs[f"analyze {table}"] += 1

    def finish(self) -> None:
        self.done.set()
        self.join()
        if self.runs:
            print(f"autovacuum (emulated): {dict(sorted(self.runs.items()))}", file=sys.stderr)
        self.engine.dispose()


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (postmaster, backends, workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def socket_ports(pid: int) -> set[int]:
    """Local TCP ports of a process's sockets (its fds' inodes matched in /proc/net/tcp*)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class PostgresWatch(threading.Thread):
    """PostgreSQL's CPU over the matched phase (all its processes, and the backends serving
    the risk service), what those backends were running (pg_stat_activity sampled every
    `every` s) and the risk schema's table counters before/after."""

    def __init__(self, url: str, schema: str, risk_pid: int, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(normalise_url(url))
        self.schema, self.risk_pid, self.every = schema, risk_pid, every
        self.done = threading.Event()
        self.active: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.cpu_before = self._cpu()
        self.tables_before = self._tables()

    def _cpu(self) -> dict[int, float]:
        """CPU seconds of each PostgreSQL process; under key 0, what the postmaster's children
        that have exited used (cutime + cstime: backends closed by the pool, parallel workers),
        which their own entries no longer show."""
        cpu = {}
        for pid in postgres_pids():
            with contextlib.suppress(OSError):
                cpu[pid] = cpu_seconds(pid)
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == 1:  # the postmaster (its parent is init)
                    cpu[0] = (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
        return cpu

    def _risk_backends(self) -> set[int]:
        ports = socket_ports(self.risk_pid)
        with self.engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT pid, client_port FROM pg_stat_activity WHERE client_port IS NOT NULL"
            ).all()
        return {pid for pid, port in rows if port in ports}

    def _tables(self) -> dict[str, tuple[int, ...]]:
        query = (
            "SELECT relname, seq_scan, coalesce(idx_scan, 0), n_tup_ins, n_tup_upd, "
            "n_tup_hot_upd, n_tup_del, n_dead_tup, autovacuum_count, autoanalyze_count "
            "FROM pg_stat_user_tables WHERE schemaname = %(schema)s"
        )
        with self.engine.connect() as connection:
            rows = connection.exec_driver_sql(query, {"schema": self.schema}).all()
        return {str(row[0]): tuple(int(v) for v in row[1:]) for row in rows}

    def run(self) -> None:
        query = (
            "SELECT pid, left(regexp_replace(query, '\\s+', ' ', 'g'), 600), "
            "coalesce(wait_event_type || ':' || wait_event, 'CPU') "
            "FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()"
        )
        backends = self._risk_backends()
        with self.engine.connect() as connection:
            while not self.done.wait(self.every):
                self.samples += 1
                for pid, text, wait in connection.exec_driver_sql(query).all():
                    if pid in backends:
                        self.active[f"{wait:<22} {text}"] += 1
                connection.rollback()

    def finish(self) -> dict[str, float]:
        """Stop sampling; the CPU seconds of all PostgreSQL processes and of risk's backends."""
        self.done.set()
        self.join()
        after, backends = self._cpu(), self._risk_backends()
        used = {pid: cpu - self.cpu_before.get(pid, 0.0) for pid, cpu in after.items()}
        print(f"pg_stat_activity, {self.samples} samples of risk's backends:", file=sys.stderr)
        for text, count in self.active.most_common(15):
            print(f"  {count / self.samples:6.1%}  {text[:133]}", file=sys.stderr)
        for text, _count in self.active.most_common(4):
            print(f"  full: {text}", file=sys.stderr)
        tables = self._tables()
        print(
            "table: seq_scan idx_scan ins upd hot_upd del dead autovac autoanalyze (delta)",
            file=sys.stderr,
        )
        for name, counters in sorted(tables.items()):
            before = self.tables_before.get(name, (0,) * len(counters))
            delta = [a - b for a, b in zip(counters, before, strict=True)]
            delta[6] = counters[6]  # dead tuples now, not the change
            if any(delta):
                print(f"  {name:<28} {' '.join(f'{v:>8}' for v in delta)}", file=sys.stderr)
        self.engine.dispose()
        return {
            "postgresql": sum(used.values()),
            "postgresql_risk": sum(v for pid, v in used.items() if pid in backends),
        }


class MemorySampler(threading.Thread):
    """The risk service's RSS (and the load average) every `every` seconds while the run lasts."""

    def __init__(self, pid: int, every: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.done = pid, every, threading.Event()
        self.started = time.monotonic()
        self.samples: list[tuple[float, float, float]] = []
        self._sample()

    def _sample(self) -> None:
        at = time.monotonic() - self.started
        self.samples.append((at, rss_mb(self.pid), os.getloadavg()[0]))

    def run(self) -> None:
        while not self.done.wait(self.every):
            self._sample()

    def rss(self) -> list[float]:
        return [rss for _, rss, _ in self.samples]


def token(stack: Stack, name: str) -> dict[str, str]:
    return Credential(stack, name).headers()


class Credential:
    """A demo client's access token, fetched again at half its lifetime: a soak outlives it."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.stack, self.name = stack, name
        self._headers: dict[str, str] = {}
        self._renew_at = 0.0

    def headers(self) -> dict[str, str]:
        if time.monotonic() >= self._renew_at:
            account = self.stack.demo[self.name]
            answer = httpx.post(
                f"{self.stack.url}/api/access/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(account["client_id"], account["client_secret"]),
                timeout=30,
            )
            answer.raise_for_status()
            document = answer.json()
            self._headers = {"Authorization": f"Bearer {document['access_token']}"}
            self._renew_at = time.monotonic() + float(document.get("expires_in", 300)) / 2
        return self._headers


def gates(stack: Stack) -> dict[str, tuple[str, Credential]]:
    """{tax code: (gate camera id, vendor credential)} of the demo EPEs."""
    found = {}
    for name in ("epe_vendor_1", "epe_vendor_2"):
        vendor, epe_id = Credential(stack, name), stack.demo[name]["epe_id"]
        headers = vendor.headers()
        epe = httpx.get(f"{stack.url}/api/registry/epes/{epe_id}", headers=headers, timeout=30)
        cameras = httpx.get(
            f"{stack.url}/api/registry/epes/{epe_id}/cameras",
            params={"position_kind": "epe_gate"},
            headers=headers,
            timeout=30,
        )
        found[epe.json()["tax_code"]] = (cameras.json()["data"][0]["id"], vendor)
    return found


def declarations(generator: Generator, count: int) -> Iterator[list[dict[str, Any]]]:
    """`count` cleared export declarations (cleared an hour or two ago), in batches."""
    now = datetime.now(UTC) - timedelta(hours=1)
    made = 0
    while made < count:
        batch: list[dict[str, Any]] = []
        while len(batch) < min(PRELOAD_BATCH, count - made):
            batch += generator.movement(now).declarations
        made += len(batch)
        yield batch


def preload_api(stack: Stack, generator: Generator, count: int, customs: dict[str, str]) -> None:
    """Through the customs system's batch endpoint."""
    with httpx.Client(base_url=stack.url, headers=customs, timeout=300) as api:
        for records in declarations(generator, count):
            answer = api.post("/api/risk/customs/declarations/batch", json={"records": records})
            answer.raise_for_status()


LETTER_VALUES = {
    letter: value
    for letter, value in zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [v for v in range(10, 39) if v % 11],
        strict=False,
    )
}


def check_digit(head: str) -> str:
    """ISO 6346 check digit of owner code, category and serial (stdnum's, without its
    input cleaning: a million of them in seconds)."""
    total = sum((LETTER_VALUES[c] if c.isalpha() else int(c)) << i for i, c in enumerate(head))
    return str(total % 11 % 10)


def bulk_declarations(
    count: int, tax_codes: list[str], seed: int
) -> Iterator[list[tuple[dict[str, Any], list[dict[str, Any]]]]]:
    """`count` cleared export declarations as stored rows (the normalised form ingestion
    stores, with its digest) and their lookup rows, in batches; random containers and trucks
    as the simulator draws them, registered two hours ago and cleared 30 minutes later."""
    rng = random.Random(seed)
    provinces = sorted(PROVINCE_CODES)
    registered = datetime.now(UTC) - timedelta(hours=2)
    received = datetime.now(UTC)
    for first in range(0, count, PRELOAD_BATCH):
        batch = []
        for serial in range(first, min(count, first + PRELOAD_BATCH)):
            head = f"{rng.choice(OWNER_CODES)}U{rng.randrange(10**6):06d}"
            container = head + check_digit(head)
            digits = f"{rng.randrange(10**5):05d}"
            plate = (
                f"{rng.choice(provinces):02d}{rng.choice(SERIES_LETTERS)}-{digits[:3]}.{digits[3:]}"
            )
            at = registered - timedelta(seconds=serial % 3600)
            data = {
                "number": f"9{serial:011d}",
                "version": 1,
                "container_numbers": [container],
                "plates": [plate],
                "flow": "export",
                "type_code": "E52",
                "epe_tax_code": tax_codes[serial % len(tax_codes)],
                "channel": "green",
                "registered_at": at.isoformat().replace("+00:00", "Z"),
                "cleared_at": (at + timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
                "goods": [],
            }
            row_id = new_id()
            row = {
                "id": row_id,
                "kind": "declaration",
                "number": data["number"],
                "version": 1,
                "epe_tax_code": data["epe_tax_code"],
                "occurred_at": at,
                "data": data,
                "digest": digest_of(data),
                "source": "bench-bulk-preload",
                "received_at": received,
                "superseded_by": None,
            }
            refs = [_ref(row_id, container_number=container), _ref(row_id, plate=plate)]
            batch.append((row, refs))
        yield batch


def preload_bulk(url: str, schema: str | None, count: int, tax_codes: list[str], seed: int) -> None:
    """Straight into the risk database: the rows ingestion would write. PostgreSQL takes them
    with COPY (one stream per table and batch; multi-row INSERTs of a million rows took over
    half an hour here), SQLite with multi-row inserts."""
    engine = make_engine(url, schema=schema)
    try:
        copy = engine.dialect.name == "postgresql"
        for batch in bulk_declarations(count, tax_codes, seed):
            with engine.begin() as connection:
                if copy:
                    _copy(connection, batch)
                else:
                    connection.execute(insert(CustomsRecord), [row for row, _ in batch])
                    connection.execute(insert(RecordRef), [r for _, refs in batch for r in refs])
        # As autovacuum would after a bulk load: statistics, and (PostgreSQL) the visibility
        # map that lets the rescoring count declarations from an index alone.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE" if copy else "ANALYZE")
    finally:
        engine.dispose()


RECORD_COLUMNS = (
    "id",
    "kind",
    "number",
    "version",
    "epe_tax_code",
    "occurred_at",
    "data",
    "digest",
    "source",
    "received_at",
    "superseded_by",
)
REF_COLUMNS = ("record_id", "kind", "container_number", "plate")


def _copy(connection: Connection, batch: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    """One batch with PostgreSQL COPY (psycopg 3) on the transaction's own connection."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    records = ", ".join(RECORD_COLUMNS)
    with cursor.copy(f"COPY customs_record ({records}) FROM STDIN") as stream:
        for row, _ in batch:
            values = row | {"data": json.dumps(row["data"])}
            stream.write_row([values[c] for c in RECORD_COLUMNS])
    with cursor.copy(f"COPY customs_record_ref ({', '.join(REF_COLUMNS)}) FROM STDIN") as stream:
        for _, refs in batch:
            for ref in refs:
                stream.write_row([ref[c] for c in REF_COLUMNS])


def _ref(record_id: str, **named: str) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "kind": "declaration",
        "container_number": None,
        "plate": None,
        **named,
    }


def anomalies(generator: Generator) -> Iterator[Movement]:
    """Movements no declaration explains, each read at the moment it is drawn."""
    while True:
        movement = generator.movement(datetime.now(UTC))
        if not movement.declarations:  # uncleared: one warning per read
            yield movement


async def drive(
    url: str,
    jobs: Iterator[Job],
    *,
    concurrency: int,
    single: bool,
    until: float | None,
    sent: dict[str, float],
) -> tuple[float, int]:
    """POST jobs with `concurrency` senders until they run out (or `until`, monotonic);
    fills `sent` {stored id: send time}; returns (seconds, records sent)."""
    count = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as api:

        async def sender() -> None:
            nonlocal count
            for path, headers, records in jobs:
                if until is not None and time.monotonic() >= until:
                    return
                at = time.monotonic()
                body = records[0] if single else {"records": records}
                answer = await api.post(path, headers=headers, json=body)
                if answer.status_code >= 400:
                    raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:500]}")
                document = answer.json()
                items = [document] if single else document["items"]
                for item in items:
                    if item.get("outcome") == "rejected":
                        raise RuntimeError(f"{path}: rejected {item}")
                    sent[item["id"]] = at
                count += len(records)

        started = time.monotonic()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return time.monotonic() - started, count


def gps_jobs(generator: Generator, customs: dict[str, str], size: int, total: int) -> Iterator[Job]:
    """`total` GPS fixes in requests of `size`."""
    path = "/api/risk/customs/gps-fixes" + ("" if size == 1 else "/batch")
    moves = itertools.islice(anomalies(generator), total)
    while batch := list(itertools.islice(moves, size)):
        yield path, customs, [m.gps_fixes[0] | {"plate": m.event["plate"]} for m in batch]


def gate_jobs(
    generator: Generator, cameras: dict[str, tuple[str, Credential]], size: int
) -> Iterator[Job]:
    """Endless gate reads in requests of `size`, each request for one EPE's vendor."""
    path = "/api/risk/gate-events" + ("" if size == 1 else "/batch")
    pending: dict[str, list[dict[str, Any]]] = {tax: [] for tax in cameras}
    for movement in anomalies(generator):
        reads = pending[movement.epe_tax_code]
        reads.append(movement.event)
        if len(reads) == size:
            pending[movement.epe_tax_code] = []
            yield path, cameras[movement.epe_tax_code][1].headers(), reads


async def measure(
    stack: Stack, options: argparse.Namespace, database: tuple[str, str | None], nats_pid: int
) -> dict[str, float]:
    customs = token(stack, "customs_system")
    cameras = gates(stack)
    generator = Generator(
        {tax: camera for tax, (camera, _) in cameras.items()}, seed=options.seed, salt=1
    )
    started = time.monotonic()
    if options.preload == "bulk":
        preload_bulk(*database, options.declarations, sorted(cameras), options.seed)
    else:
        preload_api(stack, generator, options.declarations, customs)
    preload_seconds = time.monotonic() - started
    print(f"preloaded {options.declarations} in {preload_seconds:.1f} s", file=sys.stderr)
    customs, cameras = (
        token(stack, "customs_system"),
        gates(stack),
    )  # a long preload outlives tokens
    size, single = options.batch_size, options.batch_size == 1
    raw_generator = Generator(generator.gates, seed=options.seed + 2, anomaly_share=1.0, salt=3)
    raw_seconds, raw_count = await drive(
        stack.url,
        gps_jobs(raw_generator, customs, size, options.events),
        concurrency=options.concurrency,
        single=single,
        until=None,
        sent={},
    )

    warned: dict[str, float] = {}
    client = await nats.connect(stack.nats_url)

    async def on_message(message: Msg) -> None:
        envelope = json.loads(message.data)
        if envelope.get("type") == "risk.warning.raised.v1":
            warned.setdefault(envelope["data"]["gate_event_id"], time.monotonic())

    await client.subscribe("risk.warning.raised.v1", cb=on_message)
    sampler = MemorySampler(stack_pid(stack, "risk"), every=1.0 if options.duration else 0.2)
    sampler.start()
    gate_generator = Generator(generator.gates, seed=options.seed + 1, anomaly_share=1.0, salt=2)
    jobs = gate_jobs(gate_generator, cameras, size)
    if not options.duration:
        jobs = itertools.islice(jobs, -(-options.events // size))
    sent: dict[str, float] = {}
    pids = {name: stack_pid(stack, name) for name in ("risk", "gateway")}
    pids |= {"nats": nats_pid, "bench": os.getpid()}
    watch, autovacuum = None, None
    if database[1] is not None:
        watch = PostgresWatch(database[0], database[1], pids["risk"])
        autovacuum = Autovacuum(database[0], database[1])
        watch.start()
        autovacuum.start()
    cpu_before = cpu_of(pids)
    started = time.monotonic()
    until = started + options.duration if options.duration else None
    gate_seconds, _ = await drive(
        stack.url, jobs, concurrency=options.concurrency, single=single, until=until, sent=sent
    )
    deadline = time.monotonic() + 120
    while len(warned) < len(sent) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await client.drain()
    sampler.done.set()
    cpu_used = {name: cpu - cpu_before[name] for name, cpu in cpu_of(pids).items()}
    if watch is not None and autovacuum is not None:
        autovacuum.finish()
        cpu_used |= watch.finish()
    matched = [warned[g] - sent[g] for g in sent if g in warned]
    if len(matched) < len(sent):
        print(f"only {len(matched)} of {len(sent)} warnings arrived", file=sys.stderr)
    elapsed = max(warned.values()) - started
    quantiles = statistics.quantiles(matched, n=100)
    if options.duration:
        for at, memory, load in sampler.samples[:: max(1, int(60 / sampler.every))]:
            print(f"  t={at:6.0f} s  risk RSS {memory:7.1f} MB  load {load:.2f}")
    rss = sampler.rss()
    return {
        "declarations": options.declarations,
        "preload_s": preload_seconds,
        "batch_size": size,
        "raw_per_s": raw_count / raw_seconds,
        "events": len(sent),
        "gate_ingest_per_s": len(sent) / gate_seconds,
        "matched_per_s": len(matched) / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "max_ms": max(matched) * 1000,
        "rss_start_mb": rss[0],
        "rss_peak_mb": max(rss),
        "rss_end_mb": rss[-1],
        **{f"cpu_ms_per_read_{name}": cpu * 1000 / len(sent) for name, cpu in cpu_used.items()},
    }


def stack_pid(stack: Stack, name: str) -> int:
    """The pid of one of the stack's processes."""
    process = stack.processes[name]._process
    assert process is not None
    return process.pid


def run(options: argparse.Namespace, workdir: Path, schema: str | None) -> dict[str, float]:
    # The gateway's per-client rate limit (2,000/minute) would measure itself, not matching.
    extra = {"GATEWAY_RATE_LIMIT_ENABLED": "false"}
    database: tuple[str, str | None] = (f"sqlite:///{workdir / 'stack' / 'data' / 'risk.db'}", None)
    if options.database_url:
        extra["RISK_DATABASE_URL"] = options.database_url
        extra["RISK_DATABASE_SCHEMA"] = schema or ""
        database = (options.database_url, schema)
    nats_server, s3 = NatsServer(workdir / "nats"), SeaweedS3(workdir / "s3")
    nats_url, endpoint = nats_server.start(), s3.start()
    try:
        stack = Stack(
            workdir / "stack",
            nats_url=nats_url,
            s3=endpoint,
            extra_env=extra,
            startup_timeout=options.startup_timeout,
        )
        with stack:
            try:
                pid = nats_server.pid
                assert pid is not None
                return asyncio.run(measure(stack, options, database, pid))
            except Exception:
                print(log_tail(stack.log_of("risk")), file=sys.stderr)
                raise
    finally:
        s3.stop()
        nats_server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=2000)
    parser.add_argument("--events", type=int, default=400, help="raw fixes (and reads)")
    parser.add_argument("--batch-size", type=int, default=1, help="records per request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, help="send reads for this many seconds")
    parser.add_argument("--preload", choices=["api", "bulk"], default="api")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--startup-timeout", type=float, default=600, help="stack start, s")
    parser.add_argument("--database-url", help="PostgreSQL for the risk service (else SQLite)")
    parser.add_argument(
        "--schema-prefix", default="bench_risk_", help="of the run's PostgreSQL schema"
    )
    parser.add_argument(
        "--keep-schema", action="store_true", help="leave the PostgreSQL schema (to EXPLAIN)"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-risk-") as work:
        schema = None
        if options.database_url:
            schema = f"{options.schema_prefix}{uuid.uuid4().hex[:12]}"
        try:
            result = run(options, Path(work), schema)
        finally:
            if schema and options.keep_schema:
                print(f"schema kept: {schema}", file=sys.stderr)
            elif schema:
                engine = make_engine(normalise_url(options.database_url))
                with engine.begin() as connection:
                    connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                engine.dispose()
    load = os.getloadavg()
    result["ratio"] = result["matched_per_s"] / result["raw_per_s"]
    for key, value in result.items():
        print(f"{key:>18}: {value:,.2f}")
    print(f"{'load average':>18}: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
