"""The fault and load suite (issue 16): a private whole stack under bounded traffic through the
gateway, with its processes killed (SIGKILL) and restarted one after the other; then every
acknowledged write is looked for in the service's own database, in the stream and in every
consumer, and the table of counts is printed (docs/reliability.md, "Fault and load suite").

Short form (`make test`): a modest load, and the faults that matter most: the registry (it
produces the events), incidents (it consumes them), the gateway, and the stack's only NATS
server. Long form (`make faults`, `CAMWATCH_FAULTS=long`): more load, longer, every service;
then a second stack on PostgreSQL and a 3-node NATS cluster: the node leading the registry's
stream killed, every PostgreSQL connection of the stack ended, the registry killed.

Asserted: no acknowledged write lost (its row, its event in the stream, its effect in each
consumer), no duplicated effect, every outbox event in its stream once and applied by every
consumer of its type, and each fault recovered (a fresh write applied everywhere) within
`RECOVERY_LIMIT` seconds of the restart; the 10 s goal is documented, not asserted.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from devkit.simulator.runner import TokenClient
from devkit.testing.database import DEFAULT_POSTGRES_URL, postgres_unreachable_reason
from devkit.testing.faults import (
    CAMERA_CHANGED,
    CAMERA_CONSUMERS,
    FaultWindow,
    Traffic,
    camera_change_events,
    consumption_gaps,
    count,
    dispose_engines,
    inbox,
    outbox_totals,
    render,
    start_up_phases,
    stream_totals,
    unsent,
)
from devkit.testing.nats import NatsCluster, NatsServer
from devkit.testing.officers import OfficerSession
from devkit.testing.replicas import ReplicatedStack
from devkit.testing.s3 import S3Endpoint
from devkit.testing.stack import Stack, StackError
from servicekit.db import normalise_url
from servicekit.events import stream_name
from servicekit.services import SERVICES
from servicekit.settings import project_root

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1500)]

LONG = os.environ.get("CAMWATCH_FAULTS", "short") == "long"
RATE = 3.0 if LONG else 1.5  # camera changes a second per vendor, movements a second
WARM_UP = 20.0 if LONG else 6.0  # load before the first fault
LEAD = 10.0 if LONG else 3.0  # load before each kill
DOWN = 5.0 if LONG else 3.0  # how long the killed process stays down
AFTER = 10.0 if LONG else 2.0  # load after each recovery
FAULTS = (*SERVICES, "gateway", "nats") if LONG else ("registry", "incidents", "gateway", "nats")
RECOVERY_LIMIT = 60.0
SETTLE_TIMEOUT = 180.0

ENVIRONMENT = {
    # Camera health within seconds, so outages (and incidents) happen during the run.
    "REGISTRY_HEARTBEAT_INTERVAL": "4",
    "REGISTRY_OFFLINE_AFTER_SILENCE": "6",
    "REGISTRY_FAULT_GRACE": "2",
    "REGISTRY_DETECTOR_TICK": "1",
    "REGISTRY_PROBER_ENABLED": "false",
}


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fault_stack(nats_server: NatsServer, s3: S3Endpoint, tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(
        tmp_path / "stack",
        nats_url=nats_server.url,
        s3=s3,
        extra_env=ENVIRONMENT,
        startup_timeout=float(os.environ.get("CAMWATCH_STACK_STARTUP_TIMEOUT", "600")),
    )
    try:
        try:
            stack.start()
        except StackError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield stack
    finally:
        stack.stop()


def demo_accounts(stack: Stack) -> dict[str, dict[str, Any]]:
    last = stack.seed_output["access"].strip().splitlines()[-1]
    accounts: dict[str, dict[str, Any]] = json.loads(last)["accounts"]
    return accounts


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll until `check()`; returns the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} after {timeout:.0f} s"
        time.sleep(0.1)
    return time.monotonic()


def answers_200(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Probe:
    """A vendor's write after a restart, followed until every consumer applied its event."""

    def __init__(self, stack: Stack, account: dict[str, Any]) -> None:
        self.stack = stack
        auth = TokenClient(stack.url, account["client_id"], account["client_secret"])
        self.api = httpx.Client(base_url=stack.url, auth=auth, timeout=10)
        self.epe_id = account["epe_id"]
        cameras = self.api.get(f"/api/registry/epes/{self.epe_id}/cameras")
        cameras.raise_for_status()
        self.camera = cameras.json()["data"][0]["id"]
        self.n = 0

    def write(self) -> str:
        self.n += 1
        marker = f"probe-{time.time_ns() % 10**9}-{self.n}"
        path = f"/api/registry/epes/{self.epe_id}/cameras/{self.camera}"
        try:
            answer = self.api.patch(path, json={"model": marker})
        except httpx.HTTPError:
            return ""
        return f"{self.camera}|{marker}" if answer.status_code == 200 else ""

    def applied_everywhere(self, ref: str) -> bool:
        event_id = camera_change_events(self.stack).get(ref)
        return event_id is not None and all(
            event_id in inbox(self.stack, s, CAMERA_CHANGED) for s in CAMERA_CONSUMERS
        )

    def recovered(self, timeout: float) -> float:
        """When a write made after the restart had its effect in every consumer."""
        deadline = time.monotonic() + timeout
        ref = ""
        while not ref:
            assert time.monotonic() < deadline, "no write acknowledged after the restart"
            ref = self.write() or (time.sleep(0.2) or "")
        return wait_for(
            lambda: self.applied_everywhere(ref),
            max(1.0, deadline - time.monotonic()),
            f"the write {ref} not applied by every consumer",
        )

    def close(self) -> None:
        self.api.close()


Fault = Callable[[FaultWindow], None]


def process_fault(stack: Stack, name: str, process: str | None = None) -> Fault:
    """Kill a process of the stack (SIGKILL), leave it down `DOWN` s, restart it, wait ready.
    `process`: the process's name when it is not the service's (`registry-0` of a lane)."""
    url = f"{stack.url}/healthz" if name == "gateway" else f"{stack.service_url(name)}/readyz"

    def inject(window: FaultWindow) -> None:
        window.killed = time.monotonic()
        stack.kill(process or name)
        time.sleep(DOWN)
        window.restarted, wall = time.monotonic(), datetime.now()
        stack.restart(process or name)
        window.ready = wait_for(lambda: answers_200(url), RECOVERY_LIMIT * 2, f"{name} not ready")
        window.figures.update(start_up_phases(stack.log_of(process or name), wall))

    return inject


def nats_fault(server: NatsServer) -> Fault:
    """Kill a NATS server (SIGKILL), leave it down `DOWN` s, start it again on its store."""

    def inject(window: FaultWindow) -> None:
        window.killed = time.monotonic()
        server.kill()
        time.sleep(DOWN)
        window.restarted = time.monotonic()
        server.start()
        window.ready = time.monotonic()

    return inject


def settled(stack: Stack, traffic: Traffic) -> list[str]:
    """What is still in flight: unsent outbox rows, unapplied events, acknowledged camera
    changes without their effect in every consumer."""
    problems = [f"{s}: {n} unsent" for s, n in unsent(stack).items() if n]
    problems += consumption_gaps(stack)
    events = camera_change_events(stack)
    effects = {s: inbox(stack, s, CAMERA_CHANGED) for s in CAMERA_CONSUMERS}
    acked = [a.ref for a in traffic.snapshot() if a.kind == "camera_change" and a.ref]
    pending = [r for r in acked if events.get(r) not in set.intersection(*effects.values())]
    if pending:
        problems.append(f"{len(pending)} acknowledged camera changes not applied everywhere")
    return problems


def run_faults(
    stack: Stack, nats_url: str, faults: dict[str, Fault], *, title: str, log_name: str
) -> str:
    """Load, every fault in turn under it, settle, count; returns the table (Markdown),
    written to var/test-logs/<log_name>.md (and .json), after asserting the counts."""
    (project_root() / "var" / "test-logs" / f"{log_name}.md").unlink(missing_ok=True)
    accounts = demo_accounts(stack)
    officer = OfficerSession(stack, stack.demo["officer"])
    traffic = Traffic(stack, accounts, rate=RATE, officer=officer)
    vendor = next(a for a in accounts.values() if a.get("kind") == "epe_vendor")
    probe = Probe(stack, vendor)
    started = time.monotonic()
    windows = [FaultWindow("none (load only)", began=started)]
    traffic.start()
    try:
        time.sleep(WARM_UP)
        for name, inject in faults.items():
            window = FaultWindow(name, began=time.monotonic())
            windows[-1].ended = window.began
            windows.append(window)
            time.sleep(LEAD)
            inject(window)
            window.recovered = probe.recovered(RECOVERY_LIMIT * 2)
            time.sleep(AFTER)
    finally:
        traffic.stop()
        windows[-1].ended = time.monotonic()
        probe.close()
        officer.close()
    load_seconds = time.monotonic() - started

    deadline = time.monotonic() + SETTLE_TIMEOUT
    while problems := settled(stack, traffic):
        assert time.monotonic() < deadline, f"not settled after {SETTLE_TIMEOUT:.0f} s: {problems}"
        time.sleep(1)

    table = count(stack, nats_url, windows, traffic.snapshot())
    outboxes, streams = outbox_totals(stack), stream_totals(nats_url)
    answers = traffic.snapshot()
    notes = [
        f"{load_seconds:.0f} s of load, {len(answers)} requests "
        f"({sum(1 for a in answers if a.kind.startswith('read'))} reads), each process "
        f"killed stayed down {DOWN:g} s; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores at the end.",
        "Events published by each service (outbox rows / messages in its stream): "
        + ", ".join(f"{s} {outboxes[s]}/{streams[s]}" for s in SERVICES)
        + ".",
    ]
    markdown = render(table, title=title, notes=notes)
    logs = project_root() / "var" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / f"{log_name}.md").write_text(markdown)
    (logs / f"{log_name}.json").write_text(json.dumps(table, indent=2))

    assert streams == outboxes, "every outbox event in its stream exactly once"
    for row in table:
        assert row["lost"] == 0, f"{row['fault']}: acknowledged writes lost: {row}"
        assert row["duplicated"] == 0, f"{row['fault']}: duplicated effects: {row}"
        recovered = row["recovered_after_restart_s"]
        assert recovered is None or recovered < RECOVERY_LIMIT, f"{row['fault']}: {row}"
    return markdown


def test_faults_under_load(
    fault_stack: Stack, nats_server: NatsServer, fault_tables: list[str]
) -> None:
    faults = {
        name: nats_fault(nats_server) if name == "nats" else process_fault(fault_stack, name)
        for name in FAULTS
    }
    form = "long" if LONG else "short"
    try:
        table = run_faults(
            fault_stack,
            nats_server.url,
            faults,
            title=f"Fault and load suite, {form} form, one node",
            log_name=f"faults-{form}",
        )
    finally:
        logged = project_root() / "var" / "test-logs" / f"faults-{form}.md"
        if logged.exists():
            fault_tables.append(logged.read_text())
    assert table


# -- long form only: a 3-node NATS cluster and PostgreSQL ------------------------------------


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    nodes = NatsCluster(tmp_path / "cluster")
    nodes.start()
    yield nodes
    nodes.stop()


@pytest.fixture
def postgres_stack(
    cluster: NatsCluster, s3: S3Endpoint, tmp_path: Path
) -> Iterator[ReplicatedStack]:
    """One lane of every process on PostgreSQL (a schema each) and the 3-node cluster; its
    connections carry an application name of their own, so the suite can end exactly them."""
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)
    if reason := postgres_unreachable_reason(url):
        pytest.skip(reason)
    tagged = make_url(url).update_query_dict(
        {"application_name": f"faults-{uuid.uuid4().hex[:10]}"}
    )
    stack = ReplicatedStack(
        tmp_path / "stack",
        nats_url=cluster.url,
        s3=s3,
        database_url=tagged.render_as_string(hide_password=False),
        replicas=1,
        startup_timeout=float(os.environ.get("CAMWATCH_STACK_STARTUP_TIMEOUT", "600")),
        extra_env={**ENVIRONMENT, "NATS_STREAM_REPLICAS": "3"},
    )
    try:
        try:
            stack.start()
        except StackError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield stack
    finally:
        stack.stop()
        dispose_engines()
        stack.drop_schemas()


def node_fault(cluster: NatsCluster, stream: str) -> Fault:
    """Kill the node leading `stream` (SIGKILL), leave it down `DOWN` s, start it again."""

    def inject(window: FaultWindow) -> None:
        victim = cluster.stream_leader(stream)
        assert victim is not None, f"no leader for {stream}"
        nats_fault(victim)(window)

    return inject


def postgres_fault(stack: ReplicatedStack) -> Fault:
    """The closest we may come to restarting the shared PostgreSQL: end every connection the
    stack's processes hold (pg_terminate_backend, by their application name)."""
    name = make_url(stack.database_url).query["application_name"]
    urls = [f"{stack.service_url(s)}/readyz" for s in stack.services]

    def inject(window: FaultWindow) -> None:
        engine = create_engine(normalise_url(stack.database_url))
        try:
            window.killed = time.monotonic()
            with engine.connect() as connection:
                ended = connection.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :name AND pid != pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar_one()
            assert ended, "no connection of the stack to end"
        finally:
            engine.dispose()
        window.restarted = time.monotonic()
        window.ready = wait_for(
            lambda: all(answers_200(u) for u in urls), RECOVERY_LIMIT * 2, "services not ready"
        )

    return inject


@pytest.mark.skipif(not LONG, reason="long form only (make faults)")
def test_faults_cluster_and_postgres(
    postgres_stack: ReplicatedStack, cluster: NatsCluster, fault_tables: list[str]
) -> None:
    faults = {
        "nats node leading the registry's stream": node_fault(cluster, stream_name("registry")),
        "postgresql connections ended": postgres_fault(postgres_stack),
        "registry (on PostgreSQL)": process_fault(postgres_stack, "registry", "registry-0"),
    }
    try:
        run_faults(
            postgres_stack,
            cluster.url,
            faults,
            title="Fault and load suite, long form, 3-node NATS cluster and PostgreSQL",
            log_name="faults-cluster",
        )
    finally:
        logged = project_root() / "var" / "test-logs" / "faults-cluster.md"
        if logged.exists():
            fault_tables.append(logged.read_text())
