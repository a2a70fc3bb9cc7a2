"""The fault and load suite's tools: bounded traffic through the gateway that keeps the ids of
every acknowledged write, and the counts read back from each service's own database and from
the JetStream streams (tests/faults, docs/reliability.md "Fault and load suite").

`Traffic` plays the demo EPE vendors (camera declaration changes, heartbeats, Appendix II
interruption notices, gate reads), the
customs system (declarations and the other customs records, reads) and an officer (reads).
Every request is logged with when it ended and its status (0: no answer); a 2xx write keeps
the id that finds it again: the camera and the marker written in its `model` (the registry's
`registry.camera.changed.v1` event carries it), the notice's id (its description carries a
marker, so a resend that made a second notice shows), the gate read's `event_id`, the customs
record's number and version.

`Ledger` reads the stack's SQLite databases read-only with plain SQL (the test may; services
never read each other's tables) and the streams, and counts per fault: rows stored, events in
the stream, effects in every consumer (its `event_inbox`), lost and duplicated.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import random
import re
import sqlite3
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.errors import NotFoundError
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from devkit.simulator.generate import CameraOutages, Generator
from devkit.simulator.runner import CUSTOMS_PATHS, TokenClient
from devkit.testing.officers import OfficerSession
from devkit.testing.replicas import ReplicatedStack
from devkit.testing.stack import Stack
from servicekit.db import normalise_url
from servicekit.events import stream_name
from servicekit.events.consumer import durable_name
from servicekit.services import SERVICES

CAMERA_CHANGED = "registry.camera.changed.v1"
NOTICE_MARKER = re.compile(r"flt-[0-9a-f]+-n\d+")
# Who consumes the registry's camera changes (each service's subscriptions.py).
CAMERA_CONSUMERS = ("access", "evidence", "incidents", "risk")

# What goes through each process (its first success after a restart is the recovery seen
# by clients); the gateway and NATS: everything.
THROUGH = {
    "access": ("read_access",),
    "registry": ("camera_change", "heartbeats", "read_registry"),
    "incidents": ("notice", "read_incidents"),
    "risk": ("declarations", "customs_other", "gate_event", "read_risk"),
    "evidence": (),
}


@dataclass(frozen=True)
class Answer:
    """One request of the traffic: its kind, when it ended (monotonic), its status (0: no
    answer at all) and, for an acknowledged write, the id that finds it again."""

    kind: str
    ended: float
    status: int
    ref: str | None = None


@dataclass
class _Vendor:
    epe_id: str
    tax_code: str
    api: httpx.Client
    cameras: list[dict[str, Any]]


class NoticeWriter:
    """A vendor's Appendix II notices, a camera after the other: the first for a camera is
    filed (POST with an Idempotency-Key), later ones revise it (PUT with If-Match on the
    revision it knows). A request without an answer, or with a 5xx, is sent again unchanged,
    as a vendor's software does: the key, or the revision in If-Match, keeps a resend from
    writing twice. Each write's marker in the description finds it again; the ref of an
    acknowledged write is `notice_id|revision`."""

    def __init__(self, traffic: Traffic, vendor: _Vendor) -> None:
        self.traffic = traffic
        self.vendor = vendor
        self.cameras = itertools.cycle(vendor.cameras)
        self.filed: dict[str, tuple[str, int]] = {}  # camera id -> (notice id, revision)
        self.pending: tuple[str, str, dict[str, Any], dict[str, str]] | None = None

    def send(self) -> None:
        if self.pending is None:
            self.pending = self._next()
        camera_id, method, body, headers = self.pending
        known = self.filed.get(camera_id)
        path = "/api/incidents/notices" + (f"/{known[0]}" if method == "PUT" and known else "")
        answer = self.traffic._send(self.vendor.api, method, path, body, headers=headers)
        status = answer.status_code if answer is not None else 0
        ref = None
        if answer is not None and status in (200, 201):
            notice = answer.json()
            revision = int(answer.headers.get("etag", '"r1"').strip('"r'))
            self.filed[camera_id] = (notice["id"], revision)
            ref = f"{notice['id']}|{revision}"
        elif status in (404, 409) and method == "PUT":  # closed meanwhile: file anew
            self.filed.pop(camera_id, None)
        elif status == 412 and known:  # an earlier send without an answer was applied
            current = self.traffic._send(self.vendor.api, "GET", path)
            if current is not None and current.status_code == 200:
                self.filed[camera_id] = (known[0], int(current.headers["etag"].strip('"r')))
        self.traffic._record("notice", status, ref)
        if 0 < status < 500:
            self.pending = None  # answered: stored, or refused for good

    def _next(self) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        camera = next(self.cameras)
        marker = f"flt-{self.traffic.tag}-n{next(self.traffic._notices)}"
        body: dict[str, Any] = {
            "kind": "camera_equipment",
            "camera_ids": [camera["id"]],
            "description": f"Camera {camera['number']} mất tín hiệu ({marker})",
            "effects": "Không quan sát được khu vực của camera",
            "estimated_restoration_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
            "technician": {"name": "Nguyễn Văn Hùng", "phone": "+84 912 345 678"},
        }
        known = self.filed.get(camera["id"])
        if known is None:
            body["epe_id"] = self.vendor.epe_id
            return camera["id"], "POST", body, {"Idempotency-Key": str(uuid.uuid4())}
        return camera["id"], "PUT", body, {"If-Match": f'"r{known[1]}"'}


class Traffic:
    """Bounded load through the gateway, in threads, until `stop()`.

    An interruption notice per vendor every `notice_every` seconds (resent with the same
    Idempotency-Key until it gets an answer that is not a 5xx, as a vendor's software does),
    `rate` camera changes a second per vendor, `rate` movements (customs records, then the
    gate read) a second, heartbeats of every camera every `heartbeat_every` seconds, and reads
    by the customs system and an officer (five a second each)."""

    def __init__(
        self,
        stack: Stack,
        accounts: Mapping[str, Mapping[str, Any]],
        *,
        rate: float,
        heartbeat_every: float = 2.0,
        notice_every: float = 5.0,
        outage_share: float = 0.05,
        seed: int = 7,
        officer: OfficerSession | None = None,
    ) -> None:
        self.stack = stack
        self.url = stack.url
        self.rate = rate
        self.heartbeat_every = heartbeat_every
        self.notice_every = notice_every
        self.tag = uuid.uuid4().hex[:6]
        self.stop_event = threading.Event()
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        customs = next(a for a in accounts.values() if a.get("kind") == "customs_system")
        self.customs = self._client(customs)
        self.vendors = [self._vendor(a) for a in accounts.values() if a.get("kind") == "epe_vendor"]
        gates = {
            v.tax_code: next(c["id"] for c in v.cameras if c["position_kind"] == "epe_gate")
            for v in self.vendors
        }
        self.outages = CameraOutages(random.Random(seed), start_share=outage_share)  # noqa: S311
        salt = int(time.time()) % 90_000 + 10_000
        self.generator = Generator(gates, seed=seed, anomaly_share=0.2, salt=salt)
        self.officer = officer
        self._changes = itertools.count(1)
        self._notices = itertools.count(1)

    # -- set-up ----------------------------------------------------------------------------

    def _client(self, account: Mapping[str, Any]) -> httpx.Client:
        auth = TokenClient(self.url, account["client_id"], account["client_secret"])
        return httpx.Client(base_url=self.url, auth=auth, timeout=10)

    def _vendor(self, account: Mapping[str, Any]) -> _Vendor:
        api = self._client(account)
        epe = api.get(f"/api/registry/epes/{account['epe_id']}")
        epe.raise_for_status()
        cameras = api.get(f"/api/registry/epes/{account['epe_id']}/cameras", params={"limit": 200})
        cameras.raise_for_status()
        return _Vendor(account["epe_id"], epe.json()["tax_code"], api, cameras.json()["data"])

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        lanes: list[Callable[[], None]] = [
            functools.partial(self._vendor_lane, v) for v in self.vendors
        ]
        lanes += [self._movement_lane, self._reader_lane]
        for lane in lanes:
            thread = threading.Thread(target=lane, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=60)
        for client in [self.customs, *(v.api for v in self.vendors)]:
            client.close()

    def _record(self, kind: str, status: int, ref: str | None = None) -> None:
        answer = Answer(kind, time.monotonic(), status, ref if 200 <= status < 300 else None)
        with self._lock:
            self.answers.append(answer)

    def _send(
        self, client: httpx.Client, method: str, path: str, body: Any = None, **options: Any
    ) -> httpx.Response | None:
        try:
            return client.request(method, path, json=body, **options)
        except httpx.HTTPStatusError as exc:  # the token endpoint refused or failed
            return exc.response
        except httpx.HTTPError:
            return None

    def _vendor_lane(self, vendor: _Vendor) -> None:
        cameras = itertools.cycle(vendor.cameras)
        notices = NoticeWriter(self, vendor)
        next_heartbeat = next_notice = 0.0
        while not self.stop_event.is_set():
            started = time.monotonic()
            if notices.pending or started >= next_notice:
                if not notices.pending:
                    next_notice = started + self.notice_every
                notices.send()
            if started >= next_heartbeat:
                statuses = self.outages.statuses([c["number"] for c in vendor.cameras])
                body = {"cameras": [{"camera": c, "status": s} for c, s in statuses.items()]}
                path = f"/api/registry/epes/{vendor.epe_id}/heartbeats"
                answer = self._send(vendor.api, "POST", path, body)
                self._record("heartbeats", answer.status_code if answer else 0, "batch")
                next_heartbeat = started + self.heartbeat_every
            camera = next(cameras)
            marker = f"flt-{self.tag}-{next(self._changes)}"
            path = f"/api/registry/epes/{vendor.epe_id}/cameras/{camera['id']}"
            answer = self._send(vendor.api, "PATCH", path, {"model": marker})
            self._record(
                "camera_change", answer.status_code if answer else 0, f"{camera['id']}|{marker}"
            )
            self.stop_event.wait(max(0.0, 1.0 / self.rate - (time.monotonic() - started)))

    def _movement_lane(self) -> None:
        by_tax_code = {v.tax_code: v for v in self.vendors}
        while not self.stop_event.is_set():
            started = time.monotonic()
            movement = self.generator.movement(datetime.now(UTC))
            for kind, path in CUSTOMS_PATHS.items():
                records = getattr(movement, kind)
                if not records:
                    continue
                answer = self._send(self.customs, "POST", path, {"records": records})
                status = answer.status_code if answer else 0
                if kind != "declarations":
                    self._record("customs_other", status)
                    continue
                if answer is None or status >= 300:
                    self._record("declarations", status)
                    continue
                for item in answer.json()["items"]:
                    ok = item["outcome"] != "rejected"
                    self._record(
                        "declarations",
                        status if ok else 422,
                        f"{item.get('number')}|{item.get('version')}",
                    )
            vendor = by_tax_code[movement.epe_tax_code]
            answer = self._send(vendor.api, "POST", "/api/risk/gate-events", movement.event)
            self._record(
                "gate_event", answer.status_code if answer else 0, movement.event["event_id"]
            )
            self.stop_event.wait(max(0.0, 1.0 / self.rate - (time.monotonic() - started)))

    def _reader_lane(self) -> None:
        paths = ["/api/risk/risk-levels", "/api/incidents/incidents", "/api/registry/epes"]
        for n in itertools.count():
            if self.stop_event.is_set():
                return
            path = paths[n % len(paths)]
            if self.officer is not None and n % 2:
                try:
                    headers = self.officer.headers()
                except (httpx.HTTPError, AssertionError, KeyError):
                    self._record("read_access", 0)
                    self.stop_event.wait(0.2)
                    continue
                with httpx.Client(base_url=self.url, timeout=10) as plain:
                    answer = self._send(plain, "GET", path, headers=headers, params={"limit": 20})
            else:
                answer = self._send(self.customs, "GET", path, params={"limit": 20})
            self._record(f"read_{path.split('/')[2]}", answer.status_code if answer else 0)
            self.stop_event.wait(0.2)

    # -- reading the log -------------------------------------------------------------------

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)


# -- the stack's databases and streams ----------------------------------------------------------


_ENGINES: dict[str, Engine] = {}


def query(
    stack: Stack, service: str, sql: str, params: Mapping[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    """Rows of one service's own database: its SQLite file opened read-only, or its schema
    of a `ReplicatedStack`'s PostgreSQL database."""
    if isinstance(stack, ReplicatedStack):
        engine = _ENGINES.get(stack.database_url)
        if engine is None:
            engine = _ENGINES[stack.database_url] = create_engine(
                normalise_url(stack.database_url), pool_pre_ping=True
            )
        with engine.connect() as connection:
            connection.exec_driver_sql(f'SET search_path TO "{stack.schema(service)}"')
            return [tuple(row) for row in connection.execute(text(sql), dict(params or {}))]
    url = stack.env[f"{service.upper()}_DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        raise ValueError(f"{service} does not run on SQLite: {url}")
    uri = f"file:{url.removeprefix('sqlite:///')}?mode=ro"
    with sqlite3.connect(uri, uri=True, timeout=30) as connection:
        return list(connection.execute(sql, dict(params or {})).fetchall())


def dispose_engines() -> None:
    """Close the connections `query` opened to PostgreSQL."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def camera_change_events(stack: Stack) -> dict[str, str]:
    """`camera_id|model` -> the id of the registry's `camera.changed` event that carried it."""
    found: dict[str, str] = {}
    rows = query(
        stack,
        "registry",
        "SELECT id, envelope FROM event_outbox WHERE type = :type",
        {"type": CAMERA_CHANGED},
    )
    for event_id, envelope in rows:
        data = json.loads(envelope)["data"]
        if "model" in data.get("changed_fields", []):
            found[f"{data['camera_id']}|{data['model']}"] = event_id
    return found


def inbox(stack: Stack, service: str, subject: str) -> set[str]:
    """The ids of the events `service`'s durable consumer of `subject` has applied."""
    rows = query(
        stack,
        service,
        "SELECT event_id FROM event_inbox WHERE consumer = :consumer",
        {"consumer": durable_name(service, subject)},
    )
    return {row[0] for row in rows}


def stream_message_ids(nats_url: str, service: str, subject: str) -> Counter[str]:
    """How many times each `Nats-Msg-Id` is held in `service`'s stream on `subject`."""

    async def read() -> Counter[str]:
        connection = await nats.connect(nats_url.split(","), connect_timeout=5)
        found: Counter[str] = Counter()
        try:
            js = connection.jetstream(timeout=10)
            seq = 1
            while True:
                try:
                    message = await js.get_msg(
                        stream_name(service), seq, subject=subject, next=True
                    )
                except NotFoundError:
                    return found
                found[(message.headers or {}).get("Nats-Msg-Id", "")] += 1
                seq = (message.seq or seq) + 1
        finally:
            await connection.close()

    return asyncio.run(read())


def stream_totals(nats_url: str) -> dict[str, int]:
    """Messages held by each service's stream."""

    async def read() -> dict[str, int]:
        connection = await nats.connect(nats_url.split(","), connect_timeout=5)
        try:
            js = connection.jetstream(timeout=10)
            totals = {}
            for name in SERVICES:
                try:
                    totals[name] = (await js.stream_info(stream_name(name))).state.messages
                except NotFoundError:
                    totals[name] = 0
            return totals
        finally:
            await connection.close()

    return asyncio.run(read())


def consumption_gaps(stack: Stack) -> list[str]:
    """For every durable consumer that applied events of a type: the events of that type in
    the producer's outbox it has not applied. Empty once every event reached every consumer
    that had started on its type."""
    events: dict[str, set[str]] = defaultdict(set)
    for service in SERVICES:
        for event_id, event_type in query(stack, service, "SELECT id, type FROM event_outbox"):
            events[event_type].add(event_id)
    gaps = []
    for service in SERVICES:
        applied: dict[str, set[str]] = defaultdict(set)
        for consumer, event_id in query(
            stack, service, "SELECT consumer, event_id FROM event_inbox"
        ):
            applied[consumer].add(event_id)
        for event_type, ids in events.items():
            missing = ids - applied.get(durable_name(service, event_type), ids)
            if missing:
                gaps.append(f"{service} has not applied {len(missing)} {event_type}")
    return gaps


def unsent(stack: Stack) -> dict[str, int]:
    """Outbox rows not yet published, per service."""
    return {
        s: query(stack, s, "SELECT COUNT(*) FROM event_outbox WHERE sent_at IS NULL")[0][0]
        for s in SERVICES
    }


def outbox_totals(stack: Stack) -> dict[str, int]:
    return {s: query(stack, s, "SELECT COUNT(*) FROM event_outbox")[0][0] for s in SERVICES}


# -- one fault's figures --------------------------------------------------------------------


@dataclass
class FaultWindow:
    """One fault: what was killed, when (monotonic), and when it came back."""

    name: str
    began: float  # the phase began (the previous fault's end)
    killed: float = 0.0
    restarted: float = 0.0
    ready: float = 0.0  # the restarted process answered ready
    recovered: float = 0.0  # a write after the restart had its effect in every consumer
    ended: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)


def count(
    stack: Stack, nats_url: str, windows: list[FaultWindow], answers: list[Answer]
) -> list[dict[str, Any]]:
    """The table: per fault window, what was acknowledged and where it is now."""
    change_events = camera_change_events(stack)
    in_stream = stream_message_ids(nats_url, "registry", CAMERA_CHANGED)
    effects = {s: inbox(stack, s, CAMERA_CHANGED) for s in CAMERA_CONSUMERS}
    gate_rows = Counter(
        ref
        for (ref,) in query(
            stack, "risk", "SELECT reference FROM gate_event WHERE origin != 'manual'"
        )
    )
    notice_rows: Counter[str] = Counter()
    notice_markers: Counter[str] = Counter()
    marker_of: dict[str, str] = {}
    for notice_id, revision, description in query(
        stack, "incidents", "SELECT notice_id, revision, description FROM notice_revision"
    ):
        ref = f"{notice_id}|{revision}"
        notice_rows[ref] += 1
        if match := NOTICE_MARKER.search(description):
            marker_of[ref] = match.group(0)
            notice_markers[match.group(0)] += 1
    declaration_rows = Counter(
        f"{number}|{version}"
        for number, version in query(
            stack, "risk", "SELECT number, version FROM customs_record WHERE kind = 'declaration'"
        )
    )
    table = []
    for window in windows:
        mine = [a for a in answers if window.began <= a.ended < window.ended]
        acked = defaultdict(list)
        for answer in mine:
            if answer.ref is not None:
                acked[answer.kind].append(answer.ref)
        changes = acked["camera_change"]
        events = [change_events.get(ref) for ref in changes]
        stored = [e for e in events if e is not None]
        lost_changes = sum(
            1
            for e in events
            if e is None or not in_stream[e] or any(e not in effects[s] for s in CAMERA_CONSUMERS)
        )
        gates, declarations = acked["gate_event"], acked["declarations"]
        notices = acked["notice"]
        faulted = window.killed > 0
        through = THROUGH.get(window.name.split()[0])
        until = window.recovered or window.ended
        during = [a for a in mine if faulted and window.killed <= a.ended <= until]
        after_restart = [
            a.ended - window.restarted
            for a in mine
            if faulted
            and a.ended >= window.restarted
            and 200 <= a.status < 300
            and (through is None or a.kind in through)
        ]
        table.append(
            {
                "fault": window.name,
                "writes_acked": {
                    k: len(acked[k])
                    for k in ("camera_change", "notice", "declarations", "gate_event", "heartbeats")
                },
                "rows_stored": {
                    "camera_change": len(stored),
                    "notice": sum(1 for r in notices if notice_rows[r]),
                    "declarations": sum(1 for r in declarations if declaration_rows[r]),
                    "gate_event": sum(1 for r in gates if gate_rows[r]),
                },
                "events_in_stream": sum(1 for e in stored if in_stream[e]),
                "effects": {s: sum(1 for e in stored if e in effects[s]) for s in CAMERA_CONSUMERS},
                "lost": lost_changes
                + sum(1 for r in gates if not gate_rows[r])
                + sum(1 for r in notices if not notice_rows[r])
                + sum(1 for r in declarations if not declaration_rows[r]),
                "duplicated": sum(1 for e in stored if in_stream[e] > 1)
                + sum(1 for r in set(gates) if gate_rows[r] > 1)
                + sum(1 for r in set(declarations) if declaration_rows[r] > 1)
                + sum(1 for r in notices if notice_markers[marker_of.get(r, "")] > 1),
                "5xx_during_fault": sum(1 for a in during if a.status >= 500),
                "no_answer_during_fault": sum(1 for a in during if a.status == 0),
                "refused_4xx": sum(1 for a in mine if 400 <= a.status < 500),
                "down_s": round(window.restarted - window.killed, 1) if faulted else None,
                "ready_after_restart_s": round(window.ready - window.restarted, 1)
                if faulted
                else None,
                "first_write_after_restart_s": round(min(after_restart), 1)
                if after_restart
                else None,
                **window.figures,
                "recovered_after_restart_s": round(window.recovered - window.restarted, 1)
                if window.recovered
                else None,
            }
        )
    return table


_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def start_up_phases(log: Path, restarted_at: datetime) -> dict[str, float]:
    """Where a restarted process's start went, from its log (local times, as `logging` writes
    them; `restarted_at` naive local too): from the restart until uvicorn serves (interpreter,
    imports, building the app) and the lifespan (NATS, streams, consumers, background tasks)."""
    started = complete = None
    for line in log.read_text(errors="replace").splitlines():
        match = _LOG_TIME.match(line)
        if match is None:
            continue
        at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
        if at < restarted_at:
            continue
        if started is None and "Started server process" in line:
            started = at
        elif complete is None and "Application startup complete" in line:
            complete = at
    phases = {}
    if started is not None:
        phases["imports_s"] = round((started - restarted_at).total_seconds(), 1)
        if complete is not None:
            phases["lifespan_s"] = round((complete - started).total_seconds(), 1)
    return phases


def render(table: list[dict[str, Any]], *, title: str, notes: Iterable[str] = ()) -> str:
    """The table as Markdown (what docs/reliability.md records)."""
    head = (
        "| fault | writes acked (camera changes / notices / declarations / gate reads / "
        "heartbeat batches) | rows stored | camera changes in the stream | effects (access / "
        "evidence / incidents / risk) | lost | duplicated | 5xx (no answer) during the fault | "
        "ready after restart | first write after restart | recovered after restart |"
    )
    lines = [f"### {title}", "", head, "|" + "---|" * 11]
    for row in table:
        w, r, e = row["writes_acked"], row["rows_stored"], row["effects"]
        lines.append(
            f"| {row['fault']} | {w['camera_change']} / {w['notice']} / {w['declarations']} / "
            f"{w['gate_event']} / {w['heartbeats']} | {r['camera_change']} / {r['notice']} / "
            f"{r['declarations']} / {r['gate_event']} | "
            f"{row['events_in_stream']} | "
            + " / ".join(str(e[s]) for s in CAMERA_CONSUMERS)
            + f" | {row['lost']} | {row['duplicated']} | {row['5xx_during_fault']} "
            f"({row['no_answer_during_fault']}) | {_seconds(row['ready_after_restart_s'])} | "
            f"{_seconds(row['first_write_after_restart_s'])} | "
            f"{_seconds(row['recovered_after_restart_s'])} |"
        )
    restarted = [row for row in table if "imports_s" in row]
    if restarted:
        lines += [
            "",
            "| restarted process | until uvicorn serves (interpreter, imports, app) | lifespan "
            "(NATS, streams, consumers) | ready after restart | recovered after restart |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {row['fault']} | {_seconds(row['imports_s'])} | "
            f"{_seconds(row.get('lifespan_s'))} | {_seconds(row['ready_after_restart_s'])} | "
            f"{_seconds(row['recovered_after_restart_s'])} |"
            for row in restarted
        ]
    lines += ["", *notes]
    return "\n".join(lines) + "\n"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value} s"
