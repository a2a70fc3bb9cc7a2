"""Scaled out: two replicas of every service and two gateways on one PostgreSQL database and a
3-node JetStream cluster (streams of 3 replicas), under a bounded load through both gateways,
with one NATS node killed mid-load.

Then, once everything settled:

- every event is published once (each stream holds exactly its service's outbox) and consumed
  once per consumer group (each durable consumer's inbox holds exactly the events of the types
  it consumes, across both replicas);
- the registry's health detector fires once per transition (per camera, `went_offline` and
  `came_back` alternate, one of each per outage), although both replicas run it;
- the risk scheduler rescoring once per mark (no EPE scored twice within the debounce; the
  level changes of each EPE form one chain);
- the incidents deadline watcher, with the incidents replicas' clock moved past the approach
  and then past the extension due date, emits each deadline event once per incident.

Bounded: ~30 s of load at a few movements a second per gateway, ~3 minutes with start-up on
a 2-core machine. The figures it prints are in docs/performance.md ("Scaled out").
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from devkit.simulator.runner import Simulator
from devkit.testing.database import DEFAULT_POSTGRES_URL, postgres_unreachable_reason
from devkit.testing.nats import NatsCluster
from devkit.testing.officers import OfficerSession
from devkit.testing.replicas import ReplicatedStack
from devkit.testing.s3 import S3Endpoint
from servicekit.db import normalise_url
from servicekit.events import stream_name
from servicekit.events.consumer import durable_name
from servicekit.events.servererrors import SERVER_ERRORS_SUBJECT
from servicekit.services import SERVICES

# Twelve processes on two cores: the start-up alone can take minutes on a loaded machine.
pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(1800)]

LOAD_SECONDS = 30.0
KILL_AFTER = 12.0  # seconds into the load
RATE = 3.0  # movements per second per gateway
SCORE_DEBOUNCE = 1.0
SETTLE_TIMEOUT = 120.0


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nats_cluster = NatsCluster(tmp_path / "nats")
    nats_cluster.start()
    yield nats_cluster
    nats_cluster.stop()


@pytest.fixture
def scaled(cluster: NatsCluster, s3: S3Endpoint, tmp_path: Path) -> Iterator[ReplicatedStack]:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)
    if reason := postgres_unreachable_reason(url):
        pytest.skip(reason)
    stack = ReplicatedStack(
        tmp_path / "stack",
        nats_url=cluster.url,
        s3=s3,
        database_url=url,
        replicas=2,
        shifted=("incidents", "evidence"),
        startup_timeout=float(os.environ.get("CAMWATCH_STACK_STARTUP_TIMEOUT", "900")),
        extra_env={
            "NATS_STREAM_REPLICAS": "3",
            "GATEWAY_RATE_LIMIT_STORE": "nats",
            "GATEWAY_RATE_LIMIT_BUCKET": f"ratelimit-{uuid.uuid4().hex[:12]}",
            "GATEWAY_RATE_LIMIT_STORE_TIMEOUT": "10",
            # The simulators and the reader share one customs client (one subject): its shared
            # budget is not what this test is about (test_scaleout_gateway_ratelimit is), and a
            # burst after the node kill once drew a 429 at the default 50/s.
            "GATEWAY_RATE_LIMIT_AUTHENTICATED": "1000/second;60000/minute",
            "GATEWAY_GC_TUNED": "false",
            # Camera health within seconds: heartbeats every 2 s from the simulators.
            "REGISTRY_HEARTBEAT_INTERVAL": "4",
            "REGISTRY_OFFLINE_AFTER_SILENCE": "6",
            "REGISTRY_FAULT_GRACE": "2",
            "REGISTRY_DETECTOR_TICK": "1",
            "REGISTRY_PROBER_ENABLED": "false",
            "INCIDENTS_WATCHER_INTERVAL_SECONDS": "1",
            "RISK_SCORE_DEBOUNCE_SECONDS": str(SCORE_DEBOUNCE),
            "RISK_SCORE_TICK_SECONDS": "0.5",
            "EVIDENCE_WATCH_SECONDS": "1",
        },
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        stack.drop_schemas()


# -- reading the databases and the streams --------------------------------------------------


class Databases:
    """Every service's schema of the stack, read with plain SQL."""

    def __init__(self, stack: ReplicatedStack) -> None:
        self.stack = stack
        self.engine: Engine = create_engine(normalise_url(stack.database_url))

    def rows(self, service: str, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'SET search_path TO "{self.stack.schema(service)}"')
            return list(conn.execute(text(sql), params).all())

    def outbox(self) -> dict[str, list[Any]]:
        """Each service's outbox rows (id, type, subject, envelope, created_at, sent_at)."""
        sql = "SELECT id, type, subject, envelope, created_at, sent_at FROM event_outbox"
        return {name: self.rows(name, sql) for name in SERVICES}

    def inbox(self) -> dict[tuple[str, str], set[str]]:
        """(service, durable consumer) -> the event ids it has handled."""
        found: dict[tuple[str, str], set[str]] = defaultdict(set)
        for name in SERVICES:
            for consumer, event_id in self.rows(name, "SELECT consumer, event_id FROM event_inbox"):
                found[name, consumer].add(event_id)
        return found

    def close(self) -> None:
        self.engine.dispose()


def stream_counts(url: str) -> dict[str, int]:
    """Messages held by each service's stream."""

    async def read() -> dict[str, int]:
        connection = await nats.connect(url.split(","), connect_timeout=5)
        try:
            js = connection.jetstream(timeout=10)
            return {
                name: (await js.stream_info(stream_name(name))).state.messages for name in SERVICES
            }
        finally:
            await connection.close()

    return asyncio.run(read())


def consumption_gaps(db: Databases) -> list[str]:
    """For every consumer group: the events of a type it handles that it has not handled,
    or handled events no outbox holds. Empty once every event was consumed once."""
    events = {row.id: row.type for rows in db.outbox().values() for row in rows}
    by_type: dict[str, set[str]] = defaultdict(set)
    for event_id, event_type in events.items():
        by_type[event_type].add(event_id)
    gaps = []
    for (service, consumer), handled in db.inbox().items():
        if consumer == durable_name(service, SERVER_ERRORS_SUBJECT):
            continue  # the gateway publishes these without an outbox (it has no database)
        unknown = handled - events.keys()
        if unknown:
            gaps.append(f"{service}/{consumer}: {len(unknown)} handled events in no outbox")
        for event_type in {events[e] for e in handled if e in events}:
            missing = by_type[event_type] - handled
            if missing:
                gaps.append(f"{service}/{consumer}: {len(missing)} {event_type} not handled")
    return gaps


def wait_until(check: Callable[[], list[str]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    problems = check()
    while problems:
        assert time.monotonic() < deadline, f"{what} after {timeout:.0f} s: {problems[:10]}"
        time.sleep(1)
        problems = check()


# -- load --------------------------------------------------------------------------------------


def demo_accounts(stack: ReplicatedStack) -> dict[str, dict[str, Any]]:
    last = stack.seed_output["access"].strip().splitlines()[-1]
    accounts: dict[str, dict[str, Any]] = json.loads(last)["accounts"]
    return accounts


class Reader(threading.Thread):
    """Reads of the risk levels, incidents and cameras, through each gateway in turn (as
    customs systems and officers' pages do), counting answers by status."""

    def __init__(self, stack: ReplicatedStack, account: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.stack, self.account = stack, account
        self.stop = threading.Event()
        self.statuses: Counter[int] = Counter()

    def run(self) -> None:
        token = httpx.post(
            f"{self.stack.gateways[0]}/api/access/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.account["client_id"], self.account["client_secret"]),
            timeout=30,
        ).json()["access_token"]
        paths = ["/api/risk/risk-levels", "/api/incidents/incidents", "/api/registry/epes"]
        n = 0
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            while not self.stop.is_set():
                url = self.stack.gateways[n % 2] + paths[n % len(paths)]
                try:
                    self.statuses[client.get(url, params={"limit": 50}).status_code] += 1
                except httpx.HTTPError:
                    self.statuses[0] += 1
                n += 1
                self.stop.wait(0.1)


def drive_load(stack: ReplicatedStack, cluster: NatsCluster) -> dict[str, Any]:
    """Both gateways under simulated traffic; the node leading the registry's stream killed
    `KILL_AFTER` seconds in. Returns what was sent and refused."""
    accounts = demo_accounts(stack)
    stop = threading.Event()
    simulators = [
        Simulator(
            url,
            accounts,
            seed=lane + 1,
            rate=RATE,
            anomaly_share=0.3,
            outage_share=0.1,
            heartbeat_every=2.0,
            salt=int(time.time()) % 50_000 + lane * 50_000,
            stop=stop,
        )
        for lane, url in enumerate(stack.gateways)
    ]
    customs = next(a for a in accounts.values() if a.get("kind") == "customs_system")
    reader = Reader(stack, customs)
    threads = [threading.Thread(target=s.run, args=(LOAD_SECONDS,)) for s in simulators]
    started = time.monotonic()
    reader.start()
    for thread in threads:
        thread.start()
    time.sleep(KILL_AFTER)
    victim = cluster.stream_leader(stream_name("registry"))
    assert victim is not None, "no leader for the registry's stream"
    victim.kill()
    for thread in threads:
        thread.join()
    reader.stop.set()
    reader.join()
    elapsed = time.monotonic() - started
    for simulator in simulators:
        simulator.close()
    counts = [s.counts for s in simulators]
    return {
        "seconds": elapsed,
        "movements": sum(c.movements for c in counts),
        "gate_events": sum(c.gate_events for c in counts),
        "records": sum(c.records for c in counts),
        "heartbeats": sum(c.heartbeats for c in counts),
        "refused": sum((Counter(c.refused) for c in counts), Counter()),
        "reads": reader.statuses,
        "victim": victim,
    }


# -- the checks on the watchers ----------------------------------------------------------------


def health_transitions_once(db: Databases) -> int:
    """Per camera, `went_offline` and `came_back` alternate, one of each per outage."""
    kinds = {"registry.camera.went_offline.v1": "off", "registry.camera.came_back.v1": "back"}
    per_camera: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    per_outage: Counter[tuple[str, str]] = Counter()
    for row in db.outbox()["registry"]:
        if row.type in kinds:
            data = json.loads(row.envelope)["data"]
            per_camera[data["camera_id"]].append((row.created_at, kinds[row.type], row.id))
            per_outage[data["outage_id"], kinds[row.type]] += 1
    doubled = {key: n for key, n in per_outage.items() if n > 1}
    assert not doubled, f"a transition emitted more than once: {doubled}"
    for camera, events in per_camera.items():
        sequence = [kind for _, kind, _ in sorted(events)]
        repeats = [a for a, b in itertools.pairwise(sequence) if a == b]
        assert not repeats, f"camera {camera}: transitions out of turn {sequence}"
    return sum(1 for (_, kind) in per_outage if kind == "off")


def rescoring_once(db: Databases) -> tuple[int, int]:
    """No EPE scored twice within the debounce; each EPE's level changes chain."""
    scores = db.rows("risk", "SELECT epe_id, computed_at FROM risk_score ORDER BY computed_at")
    times: dict[str, list[datetime]] = defaultdict(list)
    for epe_id, computed_at in scores:
        times[epe_id].append(computed_at)
    for epe_id, instants in times.items():
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(instants)]
        assert all(gap >= SCORE_DEBOUNCE * 0.9 for gap in gaps), (
            f"EPE {epe_id} scored twice within the debounce: {gaps}"
        )
    changes = db.rows(
        "risk", "SELECT epe_id, from_band, to_band FROM risk_level_change ORDER BY seq"
    )
    last: dict[str, str] = {}
    for epe_id, from_band, to_band in changes:
        assert from_band == last.get(epe_id), f"EPE {epe_id}: change {from_band}->{to_band}"
        last[epe_id] = to_band
    published = [r for r in db.outbox()["risk"] if r.type == "risk.level.changed.v1"]
    assert len(published) == len(changes), "one risk.level.changed per change"
    return len(scores), len(changes)


DEADLINE_EVENTS = {
    "approached": "incidents.deadline.approached.v1",
    "overdue": "incidents.incident.went_overdue.v1",
    "extension": "incidents.extension.missed.v1",
}


def deadline_events(db: Databases) -> dict[str, Counter[str]]:
    """Per kind of deadline event, how many each incident got."""
    found: dict[str, Counter[str]] = {kind: Counter() for kind in DEADLINE_EVENTS}
    types = {v: k for k, v in DEADLINE_EVENTS.items()}
    for row in db.outbox()["incidents"]:
        if row.type in types:
            found[types[row.type]][row.subject] += 1
    return found


def deadlines_once(stack: ReplicatedStack, db: Databases, *, after: datetime) -> int:
    """Move the incidents replicas' clock past the approach, then past the extension due
    date: each unrestored incident gets each event once, though both replicas watch."""
    open_incidents = db.rows(
        "incidents",
        "SELECT id, approaching_at, deadline_at, extension_due_at FROM incident "
        "WHERE state NOT IN ('restored', 'closed') AND deadline_working_days > 0",
    )
    assert open_incidents, "the load opened no incident to watch"
    ids = {row.id for row in open_incidents}
    now = datetime.now(UTC)
    approach = max(row.approaching_at for row in open_incidents)
    assert approach < min(row.deadline_at for row in open_incidents), "one day for all"
    assert approach > after, "the shared clock only moves forward"
    stack.shift_clock((approach - now).total_seconds() + 60)

    def approached() -> list[str]:
        got = deadline_events(db)["approached"]
        return [i for i in ids if got[i] == 0]

    wait_until(approached, 60, "deadline_approached missing")
    extension_due = max(row.extension_due_at for row in open_incidents)
    stack.shift_clock((extension_due - now).total_seconds() + 60)

    def overdue_and_missed() -> list[str]:
        got = deadline_events(db)
        return [f"{kind} {i}" for kind in ("overdue", "extension") for i in ids if not got[kind][i]]

    wait_until(overdue_and_missed, 60, "overdue / extension_missed missing")
    time.sleep(3)  # a few more ticks of both watchers: nothing more may come
    for kind, per_incident in deadline_events(db).items():
        twice = {i: n for i, n in per_incident.items() if n > 1}
        assert not twice, f"{kind} emitted more than once: {twice}"
    return len(ids)


EVIDENCE_EVENTS = {
    "reminder": "evidence.request.reminder.v1",
    "overdue": "evidence.request.overdue.v1",
}


def evidence_events(db: Databases) -> dict[str, Counter[str]]:
    """Per kind of due-date event, how many each evidence request got."""
    found: dict[str, Counter[str]] = {kind: Counter() for kind in EVIDENCE_EVENTS}
    types = {v: k for k, v in EVIDENCE_EVENTS.items()}
    for row in db.outbox()["evidence"]:
        if row.type in types:
            found[types[row.type]][row.subject] += 1
    return found


def evidence_requests(stack: ReplicatedStack) -> set[str]:
    """A supervisory officer asks an assigned EPE for footage, once through each gateway."""
    officer = OfficerSession(stack, stack.demo["officer"])
    try:
        epe = stack.demo["officer"]["assigned_epes"].split(",")[0]
        made = set()
        for url in stack.gateways:
            cameras = httpx.get(
                f"{url}/api/registry/epes/{epe}/cameras", headers=officer.headers(), timeout=30
            )
            assert cameras.status_code == 200, cameras.text
            answer = httpx.post(
                f"{url}/api/evidence/requests",
                headers=officer.headers(),
                json={
                    "epe_id": epe,
                    "cameras": [cameras.json()["data"][0]["id"]],
                    "time_ranges": [
                        {"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}
                    ],
                    "reason": "Đối chiếu container xuất cổng",
                },
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            made.add(answer.json()["id"])
        return made
    finally:
        officer.close()


def due_dates_once(stack: ReplicatedStack, db: Databases, ids: set[str]) -> datetime:
    """Move the evidence replicas' clock past the requests' reminder, then past their due
    date: one reminder and one overdue event per request, though both replicas watch.
    Returns the latest due date (the clock only moves forward after it)."""
    rows = [
        row
        for row in db.rows("evidence", "SELECT id, remind_at, due_at FROM evidence_request")
        if row.id in ids
    ]
    assert {row.id for row in rows} == ids
    now = datetime.now(UTC)
    remind = max(row.remind_at for row in rows)
    assert remind < min(row.due_at for row in rows), "the reminder comes before the due date"
    stack.shift_clock((remind - now).total_seconds() + 60)
    wait_until(
        lambda: [i for i in ids if not evidence_events(db)["reminder"][i]], 60, "no reminder"
    )
    due = max(row.due_at for row in rows)
    stack.shift_clock((due - now).total_seconds() + 60)
    wait_until(lambda: [i for i in ids if not evidence_events(db)["overdue"][i]], 60, "no overdue")
    time.sleep(3)  # a few more ticks of both watchers: nothing more may come
    for kind, per_request in evidence_events(db).items():
        twice = {i: n for i, n in per_request.items() if n > 1}
        assert not twice, f"evidence {kind} emitted more than once: {twice}"
    return due


def test_two_replicas_of_everything_on_a_nats_cluster(
    scaled: ReplicatedStack, cluster: NatsCluster
) -> None:
    db = Databases(scaled)
    try:
        load = drive_load(scaled, cluster)
        refused = load["refused"]
        reads = load["reads"]
        print(f"\nscale-out load: {load}")  # the figures for docs/performance.md
        assert load["gate_events"] > 0 and load["heartbeats"] > 0
        assert not refused.get(0) and not refused.get(500), f"requests failed: {refused}"
        assert set(reads) == {200}, f"reads failed: {reads}"
        assert not load["victim"].running
        wait_until(
            lambda: (
                []
                if cluster.stream_leader(stream_name("registry")) not in (None, load["victim"])
                else ["no new leader"]
            ),
            30,
            "the survivors elected no leader for the registry's stream",
        )

        # Everything relayed and consumed once, across the replicas and the lost node.
        def unsent() -> list[str]:
            return [
                f"{name}: {sum(1 for r in rows if r.sent_at is None)} unsent"
                for name, rows in db.outbox().items()
                if any(r.sent_at is None for r in rows)
            ]

        settle_started = time.monotonic()
        wait_until(unsent, SETTLE_TIMEOUT, "outbox rows not relayed")
        wait_until(lambda: consumption_gaps(db), SETTLE_TIMEOUT, "events not consumed")
        print(f"settled in {time.monotonic() - settle_started:.1f} s")
        outboxes = db.outbox()
        held = stream_counts(cluster.url)
        assert held == {name: len(rows) for name, rows in outboxes.items()}, "published once"

        # The cameras fell silent when the load stopped: wait for the detector to see it.
        def still_online() -> list[str]:
            rows = db.rows("registry", "SELECT camera_id FROM camera_health WHERE state = 'online'")
            return [row.camera_id for row in rows]

        wait_until(still_online, 60, "cameras still online after the heartbeats stopped")
        wait_until(lambda: consumption_gaps(db), SETTLE_TIMEOUT, "events not consumed")
        outages = health_transitions_once(db)
        scores, changes = rescoring_once(db)
        requests = evidence_requests(scaled)
        latest_due = due_dates_once(scaled, db, requests)
        watched = deadlines_once(scaled, db, after=latest_due)
        events = {name: len(rows) for name, rows in db.outbox().items()}
        print(
            f"events: {events}, outages {outages}, "
            f"scores {scores}, level changes {changes}, incidents watched {watched}, "
            f"evidence requests watched {len(requests)}"
        )
        wait_until(lambda: consumption_gaps(db), SETTLE_TIMEOUT, "events not consumed")
        # Every replica's revocation feed re-created its consumer after the node died.
        refused = [
            log.name
            for log in scaled.logs.glob("*-[0-9].log")
            if "optional start time is also set" in log.read_text(errors="replace")
        ]
        assert not refused, f"a revocation feed could not follow on: {refused}"
    finally:
        db.close()
