"""Camera health at scale: sustained heartbeats/s and offline detection delay (issue 4).

    .venv/bin/python bench/heartbeats.py [--cameras 100000] [--epes 100] [--interval 60]
        [--capacity-seconds 30] [--kill 300] [--database-url URL --schema S] [--write-docs]

1. Seeds a fresh database (SQLite file by default) with `--cameras` cameras spread over
   `--epes` EPEs, straight through SQLAlchemy Core.
2. Times one detector pass over all the cameras in this process (nothing to change: the cost
   every tick pays).
3. Starts the registry in a subprocess (one uvicorn worker, detector running as its
   background task every `--tick` seconds, events recorded in the outbox, no NATS).
4. Warm-up: every camera reports once; waits until the detector has seen all of them online.
   Capacity: `--clients` concurrent senders push whole-EPE batches as fast as the service
   takes them for `--capacity-seconds`; prints camera states accepted per second.
5. Realistic load and detection: every camera reports once per `--interval`, batches spread
   evenly over the interval. After one full interval, `--kill` cameras stop reporting (as if
   their line went down) and as many report `no_signal` from then on. The load goes on until
   the detector has marked all of them offline (or 3 intervals pass). Detection delay is the
   outage's `detected_at` minus its `started_at` (the last heartbeat for a silent camera, the
   first fault report otherwise); healthy cameras must not go offline.

Target: 100,000 cameras every 60 s (1,667 states/s) absorbed, offline within two intervals.
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "performance.md"
SECTION_START = "<!-- camera-health:start -->"
SECTION_END = "<!-- camera-health:end -->"


def valid_tax_code(n: int) -> str:
    """The n-th valid 10-digit MST (for distinct seeded EPEs)."""
    from stdnum.vn.mst import calc_check_digit

    serial = 1_000_000 + n * 7
    while True:
        head = f"01{serial:07d}"
        digit = calc_check_digit(head)
        if len(digit) == 1:
            return f"{head}{digit}"
        serial += 1


def seed(url: str, schema: str | None, *, epes: int, cameras: int) -> dict[str, list[str]]:
    """Create the schema and insert EPEs, one storage area each, cameras and health rows."""
    from registry.models import metadata
    from servicekit.clock import utc_now
    from servicekit.db import make_engine

    engine = make_engine(url, schema=schema)
    metadata.create_all(engine)
    tables = metadata.tables
    now = utc_now()
    per_epe = cameras // epes
    numbers: dict[str, list[str]] = {}
    with engine.begin() as conn:
        conn.execute(
            insert(tables["epes"]),
            [
                {
                    "id": f"bench-{i:04d}",
                    "name": f"Bench EPE {i}",
                    "address": "KCX Tân Thuận",
                    "tax_code": valid_tax_code(i),
                    "unit": "BENCH-UNIT",
                    "contacts": [],
                    "investment_certificate_date": now.date(),
                    "cameras_operating_at_effective_date": False,
                    "exemption_category": "I.1.3.b",
                    "exemption_reason": "bench",
                    "status": "active",
                    "created_by": "bench",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(epes)
            ],
        )
        conn.execute(
            insert(tables["areas"]),
            [
                {
                    "id": f"area-{i:04d}",
                    "epe_id": f"bench-{i:04d}",
                    "code": "K1",
                    "name": "Kho",
                    "kind": "storage_area",
                    "storage_kind": "materials",
                    "parent_area_id": None,
                    "declared_fully_covered": True,
                    "created_at": now,
                    "updated_at": now,
                    "removed_at": None,
                }
                for i in range(epes)
            ],
        )
        for i in range(epes):
            epe_id = f"bench-{i:04d}"
            nums = [f"C{j:05d}" for j in range(per_epe)]
            numbers[epe_id] = nums
            conn.execute(
                insert(tables["cameras"]),
                [
                    {
                        "id": f"cam-{i:04d}-{j:05d}",
                        "epe_id": epe_id,
                        "number": n,
                        "position_kind": "storage_area",
                        "area_id": f"area-{i:04d}",
                        "vendor": None,
                        "model": None,
                        "stream_url": None,
                        "onvif_url": None,
                        "probe_enabled": False,
                        "specs": {},
                        "reads_plates": False,
                        "reads_container_numbers": False,
                        "covers_whole_area": False,
                        "must_be_online": True,
                        "must_be_online_reason": "I.1.2.a: a storage area",
                        "monitored_since": None,
                        "created_at": now,
                        "updated_at": now,
                        "removed_at": None,
                    }
                    for j, n in enumerate(nums)
                ],
            )
            conn.execute(
                insert(tables["camera_health"]),
                [
                    {
                        "camera_id": f"cam-{i:04d}-{j:05d}",
                        "epe_id": epe_id,
                        "camera_number": n,
                        "state": "unknown",
                        "state_since": now,
                        "probe_enabled": False,
                    }
                    for j, n in enumerate(nums)
                ],
            )
    engine.dispose()
    return numbers


def time_idle_tick(url: str, schema: str | None, silence: float, grace: float) -> float:
    """Seconds one detector pass takes over every camera when nothing changes."""
    from registry.health.detector import Thresholds, run_tick
    from servicekit.clock import utc_now
    from servicekit.db import make_engine

    engine = make_engine(url, schema=schema)
    run_tick(engine, now=utc_now(), thresholds=Thresholds(silence=silence, grace=grace))
    start = time.perf_counter()
    run_tick(engine, now=utc_now(), thresholds=Thresholds(silence=silence, grace=grace))
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed


def serve(args: argparse.Namespace) -> None:
    """The registry, as the benchmark's server process."""
    import uvicorn
    from joserfc.jwk import KeySet

    from devkit.testing.tokens import AUDIENCE, ISSUER
    from registry.main import create_app
    from registry.settings import Settings
    from servicekit.auth import TokenVerifier
    from servicekit.settings import Environment

    keys = KeySet.import_key_set(json.loads(Path(args.jwks).read_text()))
    settings = Settings(
        environment=Environment.TEST,
        database_url=args.database_url,
        database_schema=args.schema,
        events_enabled=False,
        prober_enabled=False,
        log_json=False,
        log_level="WARNING",
        offline_after_silence=args.silence,
        fault_grace=args.grace,
        detector_tick=args.tick,
        heartbeat_interval=args.interval,
    )
    app = create_app(
        settings, token_verifier=TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keys)
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


async def push(
    client: httpx.AsyncClient,
    base: str,
    headers: dict[str, str],
    epe_id: str,
    cameras: list[dict[str, str]],
) -> int:
    """One heartbeat batch; returns how many states the service accepted."""
    response = await client.post(
        f"{base}/epes/{epe_id}/heartbeats", json={"cameras": cameras}, headers=headers
    )
    response.raise_for_status()
    return int(response.json()["accepted"])


async def warm_up(
    base: str,
    headers: dict[str, dict[str, str]],
    numbers: dict[str, list[str]],
    url: str,
    schema: str | None,
) -> float:
    """Every camera reports once and the detector sees them all (the one-time first-seen pass);
    returns how long that took."""
    from registry.models import metadata
    from servicekit.db import make_engine

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as client:
        for epe_id, nums in numbers.items():
            await push(
                client, base, headers[epe_id], epe_id, [{"camera": n, "status": "ok"} for n in nums]
            )
    engine = make_engine(url, schema=schema)
    health = metadata.tables["camera_health"]
    while True:
        with engine.connect() as conn:
            unknown = conn.execute(
                select(func.count()).select_from(health).where(health.c.state == "unknown")
            ).scalar_one()
        if unknown == 0:
            break
        await asyncio.sleep(0.5)
    engine.dispose()
    return time.perf_counter() - start


class Counts(NamedTuple):
    """What the senders of a capacity run achieved together."""

    accepted: int
    requests: int
    elapsed: float


Push = Callable[[httpx.AsyncClient, str, dict[str, str], str, list[dict[str, str]]], Awaitable[int]]


async def count_capacity(
    base: str,
    headers: dict[str, dict[str, str]],
    numbers: dict[str, list[str]],
    *,
    seconds: float,
    clients: int,
    push: Push = push,
) -> Counts:
    """States accepted and requests made by `clients` senders pushing for `seconds`."""
    epes = list(numbers)
    batches = {e: [{"camera": n, "status": "ok"} for n in numbers[e]] for e in epes}
    accepted = requests = 0
    deadline = 0.0

    async def sender(offset: int, client: httpx.AsyncClient) -> None:
        nonlocal accepted, requests
        i = offset
        while time.perf_counter() < deadline:
            epe = epes[i % len(epes)]
            # Awaited first: `accepted += await ...` would read `accepted` before the
            # await and overwrite what the other senders added meanwhile.
            states = await push(client, base, headers[epe], epe, batches[epe])
            accepted += states
            requests += 1
            i += clients

    # The clients exist before the clock starts: building one (its TLS context) takes tens
    # of milliseconds on a loaded machine, which is not the service's time.
    async with contextlib.AsyncExitStack() as stack:
        senders = [
            await stack.enter_async_context(httpx.AsyncClient(timeout=120)) for _ in range(clients)
        ]
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(sender(k, client) for k, client in enumerate(senders)))
        return Counts(accepted, requests, time.perf_counter() - start)


async def capacity(
    base: str,
    headers: dict[str, dict[str, str]],
    numbers: dict[str, list[str]],
    *,
    seconds: float,
    clients: int,
) -> tuple[float, float]:
    """Camera states/s and requests/s when pushing as fast as the service takes them."""
    counts = await count_capacity(base, headers, numbers, seconds=seconds, clients=clients)
    return counts.accepted / counts.elapsed, counts.requests / counts.elapsed


async def realistic(
    base: str,
    headers: dict[str, dict[str, str]],
    numbers: dict[str, list[str]],
    *,
    interval: float,
    kill: int,
    url: str,
    schema: str | None,
) -> dict[str, Any]:
    """Every camera once per interval; then cameras go silent or faulty; measure detection."""
    from registry.models import metadata
    from servicekit.db import make_engine

    epes = list(numbers)
    flat = [(e, n) for e in epes for n in numbers[e]]
    chosen = flat[:: max(1, len(flat) // (2 * kill))][: 2 * kill]
    silent: dict[str, set[str]] = {}
    faulty: dict[str, set[str]] = {}
    for index, (epe_id, number) in enumerate(chosen):
        (silent if index % 2 == 0 else faulty).setdefault(epe_id, set()).add(number)
    killed_at: float | None = None
    lateness: list[float] = []
    engine = make_engine(url, schema=schema)
    outages = metadata.tables["camera_outages"]
    health = metadata.tables["camera_health"]
    spacing = interval / len(epes)
    run_start = time.perf_counter()
    result: dict[str, Any] = {}

    async with httpx.AsyncClient(timeout=120) as client:
        rounds = 0
        while True:
            for k, epe in enumerate(epes):
                due = run_start + rounds * interval + k * spacing
                now = time.perf_counter()
                if due > now:
                    await asyncio.sleep(due - now)
                else:
                    lateness.append(now - due)
                dead = killed_at is not None
                batch = [
                    {
                        "camera": n,
                        "status": "no_signal" if dead and n in faulty.get(epe, ()) else "ok",
                    }
                    for n in numbers[epe]
                    if not (dead and n in silent.get(epe, ()))
                ]
                await push(client, base, headers[epe], epe, batch)
            rounds += 1
            if rounds == 1:
                # wait until the detector has seen every camera once (first-seen pass)
                while True:
                    with engine.connect() as conn:
                        unknown = conn.execute(
                            select(func.count())
                            .select_from(health)
                            .where(health.c.state == "unknown")
                        ).scalar_one()
                    if unknown == 0:
                        break
                    await asyncio.sleep(1)
                killed_at = time.perf_counter()
                result["killed_wall"] = time.time()
                continue
            expected = sum(len(s) for s in silent.values()) + sum(len(s) for s in faulty.values())
            with engine.connect() as conn:
                found = conn.execute(select(func.count()).select_from(outages)).scalar_one()
            if found >= expected or (killed_at and time.perf_counter() - killed_at > 3 * interval):
                break
        # let the detector finish its current tick
        await asyncio.sleep(2)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                outages.c.camera_id, outages.c.cause, outages.c.started_at, outages.c.detected_at
            )
        ).all()
    engine.dispose()
    silent_ids = {f"cam-{e[6:]}-{n[1:]}" for e, ns in silent.items() for n in ns}
    faulty_ids = {f"cam-{e[6:]}-{n[1:]}" for e, ns in faulty.items() for n in ns}
    delay = {r.camera_id: (r.detected_at - r.started_at).total_seconds() for r in rows}
    result.update(
        silent=len(silent_ids),
        faulty=len(faulty_ids),
        silent_detected=len(silent_ids & delay.keys()),
        faulty_detected=len(faulty_ids & delay.keys()),
        false_offline=len(delay.keys() - silent_ids - faulty_ids),
        silent_delay=[delay[c] for c in silent_ids if c in delay],
        fault_delay=[delay[c] for c in faulty_ids if c in delay],
        max_lateness=max(lateness) if lateness else 0.0,
    )
    return result


def summary(values: list[float]) -> str:
    if not values:
        return "n/a"
    values = sorted(values)
    p = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return f"p50 {p(0.5):.1f} s, p95 {p(0.95):.1f} s, max {values[-1]:.1f} s"


def write_docs(text: str) -> None:
    """Replace the Camera health section of docs/performance.md (only that section)."""
    block = f"{SECTION_START}\n{text.rstrip()}\n{SECTION_END}\n"
    if DOCS.exists():
        current = DOCS.read_text()
        if SECTION_START in current and SECTION_END in current:
            head, rest = current.split(SECTION_START, 1)
            tail = rest.split(SECTION_END, 1)[1].lstrip("\n")
            DOCS.write_text(head + block + ("\n" + tail if tail else ""))
            return
        DOCS.write_text(current.rstrip() + "\n\n" + block)
    else:
        DOCS.write_text("# Performance\n\n" + block)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    for p in (parser, sub.add_parser("serve")):
        p.add_argument("--database-url", default="")
        p.add_argument("--schema", default=None)
        p.add_argument("--interval", type=float, default=60.0)
        p.add_argument("--silence", type=float, default=100.0)
        p.add_argument("--grace", type=float, default=30.0)
        p.add_argument("--tick", type=float, default=5.0)
    serve_parser = sub.choices["serve"]
    serve_parser.add_argument("--jwks", required=True)
    serve_parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--epes", type=int, default=100)
    parser.add_argument("--capacity-seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--kill", type=int, default=300)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
        return 0
    return run(args)


def run(args: argparse.Namespace) -> int:
    from devkit.testing.ports import free_port, wait_for_port
    from devkit.testing.tokens import TokenFactory
    from servicekit.auth import Role

    scratch = Path(tempfile.mkdtemp(prefix="bench-heartbeats-"))
    url = args.database_url or f"sqlite:///{scratch / 'registry.db'}"
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"seeding {args.cameras:,} cameras over {args.epes} EPEs ({backend}) ...", flush=True)
    t = time.perf_counter()
    numbers = seed(url, args.schema, epes=args.epes, cameras=args.cameras)
    print(f"  seeded in {time.perf_counter() - t:.1f} s", flush=True)
    idle_tick = time_idle_tick(url, args.schema, args.silence, args.grace)
    print(
        f"idle detector pass over {args.cameras:,} cameras: {idle_tick * 1000:.0f} ms", flush=True
    )

    tokens = TokenFactory()
    jwks = scratch / "jwks.json"
    jwks.write_text(json.dumps(tokens.jwks()))
    headers = {
        e: tokens.headers(
            subject=f"vendor-{e}", roles=[Role.EPE_CLIENT], unit=None, epe_id=e, ttl=3600
        )
        for e in numbers
    }
    port = free_port()
    command = [
        sys.executable,
        __file__,
        "serve",
        "--jwks",
        str(jwks),
        "--port",
        str(port),
        "--database-url",
        url,
        "--interval",
        str(args.interval),
        "--silence",
        str(args.silence),
        "--grace",
        str(args.grace),
        "--tick",
        str(args.tick),
    ]
    if args.schema:
        command += ["--schema", args.schema]
    server = subprocess.Popen(command, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=60)
        warm = asyncio.run(warm_up(base, headers, numbers, url, args.schema))
        print(f"warm-up: every camera reported once and seen online in {warm:.1f} s", flush=True)
        rate, rps = asyncio.run(
            capacity(base, headers, numbers, seconds=args.capacity_seconds, clients=args.clients)
        )
        needed = args.cameras / args.interval
        print(
            f"capacity: {rate:,.0f} camera states/s ({rps:.1f} requests/s of "
            f"{args.cameras // args.epes} cameras); needed {needed:,.0f}/s",
            flush=True,
        )
        print("realistic load: every camera once per interval; then cameras die ...", flush=True)
        outcome = asyncio.run(
            realistic(
                base,
                headers,
                numbers,
                interval=args.interval,
                kill=args.kill,
                url=url,
                schema=args.schema,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    limit = 2 * args.interval
    worst = max(outcome["silent_delay"] + outcome["fault_delay"] or [float("inf")])
    ok = (
        rate >= needed
        and outcome["silent_detected"] == outcome["silent"]
        and outcome["faulty_detected"] == outcome["faulty"]
        and outcome["false_offline"] == 0
        and worst <= limit
    )
    per_batch = args.cameras // args.epes
    silent_row = (
        f"{outcome['silent_detected']}/{outcome['silent']}; delay after the last heartbeat: "
        f"{summary(outcome['silent_delay'])}"
    )
    fault_row = (
        f"{outcome['faulty_detected']}/{outcome['faulty']}; delay after the first fault report: "
        f"{summary(outcome['fault_delay'])}"
    )
    capacity_row = f"**{rate:,.0f} camera states/s** ({rps:.1f} requests/s)"
    verdict = "met" if worst <= limit else "MISSED"
    report = f"""## Camera health

Measured by `bench/heartbeats.py` on this machine ({os.cpu_count()} cores, shared;
{platform.python_implementation()} {platform.python_version()}, {backend}, one uvicorn worker,
detector tick {args.tick:g} s, silence limit {args.silence:g} s, fault grace {args.grace:g} s).

| figure | value |
|---|---|
| cameras / EPEs | {args.cameras:,} / {args.epes} ({per_batch:,} cameras per batch) |
| needed: every camera every {args.interval:g} s | {needed:,.0f} camera states/s |
| capacity ({args.capacity_seconds:g} s flat out, {args.clients} senders) | {capacity_row} |
| idle detector pass over all cameras | {idle_tick * 1000:.0f} ms |
| first heartbeat of every camera until all seen online | {warm:.1f} s |
| realistic load: senders behind schedule at most | {outcome["max_lateness"]:.1f} s |
| silent cameras detected offline | {silent_row} |
| cameras reporting `no_signal` detected | {fault_row} |
| healthy cameras wrongly marked offline | {outcome["false_offline"]} |
| target: offline within two intervals ({limit:g} s) | {verdict} |

Design: a heartbeat batch is one indexed SELECT (camera numbers of that EPE) and one
set-based UPDATE of observation columns per reported status (ids sorted), with no ORM objects
and no events; the detector's conditional `UPDATE ... RETURNING` statements make the
transitions, and only transitions record events. Silence detection after the last heartbeat
costs the silence limit plus at most one tick, so any camera that dies is offline within
{args.silence:g} + {args.tick:g} s < {limit:g} s of its last heartbeat.
"""
    print()
    print(report)
    if args.write_docs:
        write_docs(report)
        print(f"wrote the Camera health section of {DOCS.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
