"""5xx answers counted per route (OpenAPI template, never a raw path) and published each window
as `gateway.server_errors.counted.v1` on a real NATS server."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from gateway.servererrors import RouteTemplates, ServerErrors
from servicekit.events import CloudEvent
from servicekit.events.bus import EventBus, stream_name
from servicekit.events.servererrors import SERVER_ERRORS_SUBJECT
from servicekit.services import SERVICES
from servicekit.settings import project_root

CONTRACTS = project_root() / "contracts" / "openapi"


def test_paths_are_named_by_the_committed_templates() -> None:
    templates = RouteTemplates.from_directory(CONTRACTS, list(SERVICES))
    route = templates.route
    assert route("registry", "GET", "/epes/epe-1/cameras") == "/epes/{epe_id}/cameras"
    assert route("registry", "GET", "/epes/epe-1") == "/epes/{epe_id}"
    assert route("registry", "POST", "/epes") == "/epes"
    assert route("evidence", "GET", "/shared/secret-token") == "/shared/{token}"
    # a literal segment wins over a parameter at the same place
    templates = RouteTemplates({"x": {"paths": {"/a/{id}": {"get": {}}, "/a/mine": {"get": {}}}}})
    assert templates.route("x", "GET", "/a/mine") == "/a/mine"
    assert templates.route("x", "GET", "/a/7") == "/a/{id}"
    # unknown: path, method or service
    assert templates.route("x", "GET", "/a/7/b") == "*"
    assert templates.route("x", "DELETE", "/a/7") == "*"
    assert templates.route("nope", "GET", "/a/7") == "*"


def _published(nats_url: str, since: datetime, wanted: int) -> list[CloudEvent]:
    """The server-error events on the gateway's stream since `since` (waits for `wanted`)."""

    async def run() -> list[CloudEvent]:
        bus = EventBus(nats_url)
        assert await bus.connect(within=10)
        got: list[CloudEvent] = []

        async def on(msg: Any) -> None:
            got.append(CloudEvent.from_json(msg.data))

        try:
            subscription, _ = await bus.follow(SERVER_ERRORS_SUBJECT, since=since, cb=on)
            deadline = time.monotonic() + 15
            while len(got) < wanted and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.3)  # nothing more expected
            await subscription.unsubscribe()
        finally:
            await bus.close()
        return got

    return asyncio.run(run())


def _totals(events: list[CloudEvent]) -> Counter[tuple[str, str, str, int]]:
    totals: Counter[tuple[str, str, str, int]] = Counter()
    for event in events:
        for r in event.data["routes"]:
            totals[(r["service"], r["method"], r["route"], r["status"])] += r["count"]
    return totals


def test_5xx_are_counted_per_route_and_published(
    start_gateway, upstream, closed_port, nats_url, tokens
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    upstreams = {name: upstream.url for name in SERVICES}
    upstreams["risk"] = f"http://127.0.0.1:{closed_port}"  # down: the gateway answers 503
    url = start_gateway(
        upstreams=upstreams,
        live_enabled=True,
        nats_url=nats_url,
        server_errors_flush_seconds=0.5,
    )
    headers = tokens.headers()
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        failing = {**headers, "X-Test-Status": "503"}
        for epe in ("epe-1", "epe-2"):  # two ids, one route
            answer = client.get(f"/api/registry/epes/{epe}/cameras", headers=failing)
            assert answer.status_code == 503
        assert client.get("/api/registry/crash").status_code == 500  # not in the document
        assert client.get("/api/risk/gate-events").status_code == 503
        assert client.get("/api/registry/epes").status_code == 200  # not counted
        assert client.get("/api/registry/epes/e/cameras").status_code == 200

    events = _published(nats_url, since, wanted=1)
    assert events, "no server-error counts were published"
    assert {e.type for e in events} == {SERVER_ERRORS_SUBJECT}
    assert _totals(events) == {
        ("registry", "GET", "/epes/{epe_id}/cameras", 503): 2,
        ("registry", "GET", "*", 500): 1,
        ("risk", "GET", "/gate-events", 503): 1,
    }
    for event in events:
        assert event.data["window_start"] <= event.data["window_end"]


def test_a_window_is_published_once_even_when_sent_again(nats_url) -> None:
    templates = RouteTemplates({"registry": {"paths": {"/epes": {"get": {}}}}})

    async def run() -> tuple[int, int]:
        bus = EventBus(nats_url)
        assert await bus.connect(within=10)
        try:
            errors = ServerErrors(templates, bus, name="test-gateway")
            assert await errors.flush() == 0  # an empty window is not published
            errors.count("registry", "GET", "/epes", 502)
            await bus.ensure_stream("gateway")
            before = (await bus.js.stream_info(stream_name("gateway"))).state.messages
            assert await errors.flush() == 0
            sent = errors.close_window()
            assert sent is None
            # the stream's ack was lost: the same window is sent again with the same id
            errors.count("registry", "GET", "/epes", 502)
            event = errors.close_window()
            assert event is not None
            assert await errors.flush() == 0
            errors._pending.append(event)
            assert await errors.flush() == 0
            after = (await bus.js.stream_info(stream_name("gateway"))).state.messages
            return before, after
        finally:
            await bus.close()

    before, after = asyncio.run(run())
    assert after - before == 2  # two windows, the re-sent one de-duplicated by its Msg-Id


def test_counts_wait_while_nats_is_unreachable() -> None:
    templates = RouteTemplates({})

    async def run() -> int:
        errors = ServerErrors(templates, None)
        errors.count("risk", "GET", "/x", 504)
        left = await errors.flush()
        assert errors.pending[0].data["routes"][0]["route"] == "*"
        return left

    assert asyncio.run(run()) == 1


def test_stopping_publishes_the_current_window(nats_url) -> None:
    templates = RouteTemplates({"evidence": {"paths": {"/requests/{request_id}": {"get": {}}}}})
    since = datetime.now(UTC) - timedelta(seconds=1)

    async def run() -> None:
        bus = EventBus(nats_url)
        assert await bus.connect(within=10)
        try:
            errors = ServerErrors(templates, bus, flush_seconds=3600, name="stopping-gateway")
            await errors.start()
            errors.count("evidence", "GET", "/requests/r-1", 504)
            await errors.stop()  # long before the window's end
            assert errors.pending == []
        finally:
            await bus.close()

    asyncio.run(run())
    events = [
        e for e in _published(nats_url, since, wanted=1) if e.data["gateway"] == "stopping-gateway"
    ]
    assert _totals(events) == {("evidence", "GET", "/requests/{request_id}", 504): 1}
