"""The live channel `/api/live` and the maintenance header, against a real NATS server.

Events are published on the services' streams as the outbox relays would publish them; the
gateway follows them and pushes to each connection what its caller may see.
"""

from __future__ import annotations

import asyncio
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from servicekit.auth import Role
from servicekit.events import CloudEvent
from servicekit.events.bus import EventBus
from servicekit.services import SERVICES

OFFICER = (Role.SUPERVISORY_OFFICER,)


def cloud_event(event_type: str, data: dict[str, Any], *, subject: str = "s") -> CloudEvent:
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"camwatch/{event_type.split('.', 1)[0]}",
        type=event_type,
        subject=subject,
        time=datetime.now(UTC),
        data=data,
    )


def publish(url: str, *events: CloudEvent) -> None:
    """Publish on the producers' streams as the outbox relays do (streams made if missing)."""

    async def run() -> None:
        bus = EventBus(url)
        assert await bus.connect(within=10)
        try:
            for event in events:
                await bus.ensure_stream(event.producer)
                await bus.js.publish(
                    event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
                )
        finally:
            await bus.close()

    asyncio.run(run())


def offline(epe_id: str, unit: str) -> CloudEvent:
    return cloud_event(
        "registry.camera.went_offline.v1",
        {"camera_id": f"cam-{uuid.uuid4().hex[:6]}", "epe_id": epe_id, "unit": unit},
    )


@dataclass
class Frame:
    event: str | None = None
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)


class LiveClient:
    """Reads `/api/live` in a thread; frames (and comments) arrive on a queue."""

    def __init__(self, url: str, token: str, *, last_event_id: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.frames: queue.Queue[Frame | None] = queue.Queue()
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.opened = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=60))
        self._thread = threading.Thread(
            target=self._read, args=(f"{url}/api/live", headers), daemon=True
        )
        self._thread.start()
        assert self.opened.wait(15), "the live channel did not answer"

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                self.status, self.headers = response.status_code, response.headers
                self.opened.set()
                frame = Frame()
                for line in response.iter_lines():
                    if line == "":
                        if frame.event or frame.data or frame.comments:
                            self.frames.put(frame)
                        frame = Frame()
                    elif line.startswith(":"):
                        frame.comments.append(line[1:].strip())
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "event":
                            frame.event = value
                        elif name == "id":
                            frame.id = value
                        elif name == "data":
                            frame.data += value
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.frames.put(None)  # the stream ended

    def next(self, *, timeout: float = 10, skip_comments: bool = True) -> Frame | None:
        """The next frame (None: the stream ended); comments skipped unless asked for."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.frames.get(timeout=max(0.01, deadline - time.monotonic()))
            if frame is None or not skip_comments or frame.event is not None:
                return frame

    def events(self, count: int, *, timeout: float = 10) -> list[Frame]:
        out = []
        for _ in range(count):
            frame = self.next(timeout=timeout)
            assert frame is not None, "the stream ended"
            out.append(frame)
        return out

    def close(self) -> None:
        """Stop listening (the thread ends with the stream, at the latest when the gateway
        stops)."""
        self._client.close()
        self._thread.join(0.5)


@pytest.fixture
def live_gateway(start_gateway, upstream, nats_url) -> Callable[..., str]:
    def start(**overrides: Any) -> str:
        return start_gateway(
            upstreams={name: upstream.url for name in SERVICES},
            live_enabled=True,
            nats_url=nats_url,
            **overrides,
        )

    return start


@pytest.fixture
def clients() -> Iterator[Callable[..., LiveClient]]:
    opened: list[LiveClient] = []

    def open_(url: str, token: str, **kwargs: Any) -> LiveClient:
        client = LiveClient(url, token, **kwargs)
        opened.append(client)
        return client

    yield open_
    for client in opened:
        client.close()


def quiet(client: LiveClient, seconds: float = 1.0) -> bool:
    """Whether no event (comments aside) arrives within `seconds`."""
    try:
        client.next(timeout=seconds)
    except queue.Empty:
        return True
    return False


def unit() -> str:
    return f"UNIT-{uuid.uuid4().hex[:8]}"


def test_the_channel_needs_a_valid_token(live_gateway, tokens) -> None:
    url = live_gateway()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        response = httpx.get(f"{url}/api/live", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
    response = httpx.post(f"{url}/api/live", headers=tokens.headers(), timeout=10)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


def test_a_gateway_without_the_channel_says_so(start_gateway, upstream, tokens) -> None:
    url = start_gateway(upstreams={name: upstream.url for name in SERVICES})
    response = httpx.get(f"{url}/api/live", headers=tokens.headers(), timeout=10)
    assert response.status_code == 503


def test_events_reach_only_the_callers_who_may_see_them(
    live_gateway, tokens, nats_url, clients
) -> None:
    url = live_gateway()
    mine, other = unit(), unit()
    officer = clients(url, tokens.issue(subject="o1", roles=OFFICER, unit=mine))
    head = clients(url, tokens.issue(subject="h1", roles=(Role.HEAD_OF_SUBDEPARTMENT,), unit=mine))
    stranger = clients(url, tokens.issue(subject="o2", roles=OFFICER, unit=other))
    system = clients(url, tokens.issue(subject="c1", roles=(Role.CUSTOMS_SYSTEM,), unit=None))
    vendor = clients(
        url, tokens.issue(subject="v1", roles=(Role.EPE_CLIENT,), unit=mine, epe_id="EPE-1")
    )
    assert officer.status == 200
    assert officer.headers is not None
    assert officer.headers["content-type"].startswith("text/event-stream")
    assert officer.headers["cache-control"] == "no-store"

    warning = cloud_event(
        "risk.warning.raised.v1", {"warning_id": "w1", "epe_id": "EPE-1", "unit": mine}
    )
    overdue = cloud_event(
        "incidents.incident.went_overdue.v1", {"incident_id": "i1", "epe_id": "EPE-1", "unit": mine}
    )
    publish(nats_url, offline("EPE-1", mine), warning, overdue, offline("EPE-9", other))
    notice = cloud_event(
        "access.maintenance.announced.v1",
        {
            "notice_id": f"n-{uuid.uuid4().hex[:8]}",
            "kind": "breakdown",
            "title": "Mất kết nối",
            "affects": ["registry"],
            "starts_at": datetime.now(UTC).isoformat(),
            "ends_at": None,
            "emergency": False,
            "announced_at": datetime.now(UTC).isoformat(),
        },
    )
    publish(nats_url, notice)

    mine_types = [
        "registry.camera.went_offline.v1",
        "risk.warning.raised.v1",
        "incidents.incident.went_overdue.v1",
        "access.maintenance.announced.v1",
    ]
    # Each stream is followed by its own ordered consumer (streams made after start-up are
    # found by a periodic check), so events of different streams may come in any order.
    for client in (officer, head):
        assert sorted(f.event for f in client.events(4)) == sorted(mine_types)
    assert sorted(f.event for f in stranger.events(2)) == [
        "access.maintenance.announced.v1",
        "registry.camera.went_offline.v1",
    ]
    assert sorted(f.event for f in system.events(5)) == sorted(
        [*mine_types[:3], "registry.camera.went_offline.v1", "access.maintenance.announced.v1"]
    )
    # an EPE client hears of maintenance only, never of customs' warnings about it
    assert [f.event for f in vendor.events(1)] == ["access.maintenance.announced.v1"]
    for client in (officer, head, stranger, vendor):
        assert quiet(client), "nothing else is for them"


def test_an_event_carries_the_envelope_and_an_id(live_gateway, tokens, nats_url, clients) -> None:
    url = live_gateway()
    mine = unit()
    client = clients(url, tokens.issue(roles=OFFICER, unit=mine))
    event = offline("EPE-1", mine)
    publish(nats_url, event)
    (frame,) = client.events(1)
    assert frame.id and "." in frame.id
    body = json.loads(frame.data)
    assert body["id"] == event.id
    assert body["type"] == "registry.camera.went_offline.v1"
    assert body["data"]["epe_id"] == "EPE-1"


def test_heartbeats_keep_the_connection_alive(live_gateway, tokens, clients) -> None:
    url = live_gateway(live_heartbeat=0.3)
    client = clients(url, tokens.issue())
    first = client.next(skip_comments=False)
    assert first is not None and "live" in first.comments  # the opening comment
    pings = 0
    deadline = time.monotonic() + 5
    while pings < 3 and time.monotonic() < deadline:
        frame = client.next(skip_comments=False)
        assert frame is not None
        pings += frame.comments.count("ping")
    assert pings >= 3


def test_a_client_resumes_with_last_event_id(live_gateway, tokens, nats_url, clients) -> None:
    url = live_gateway()
    mine = unit()
    token = tokens.issue(roles=OFFICER, unit=mine)
    first = clients(url, token)
    publish(nats_url, offline("EPE-1", mine))
    (seen,) = first.events(1)
    first.close()

    publish(nats_url, offline("EPE-2", mine), offline("EPE-X", unit()), offline("EPE-3", mine))
    time.sleep(0.5)  # the gateway has them; nobody was listening
    again = clients(url, token, last_event_id=seen.id)
    missed = again.events(2)
    assert ['"EPE-2"' in f.data for f in missed] == [True, False]
    assert '"EPE-3"' in missed[1].data


def test_an_unknown_last_event_id_gets_a_reset(live_gateway, tokens, clients) -> None:
    url = live_gateway()
    client = clients(url, tokens.issue(), last_event_id="deadbeef.12")
    frame = client.next()
    assert frame is not None and frame.event == "reset"


def test_the_connection_ends_when_the_token_expires(live_gateway, tokens, clients) -> None:
    url = live_gateway(live_heartbeat=10)
    client = clients(url, tokens.issue(ttl=2))
    frame = client.next(timeout=10)
    assert frame is not None and frame.event == "expired"
    assert client.next(timeout=5) is None  # and the stream is closed


def test_stopping_the_gateway_ends_its_live_connections(
    live_gateway, start_gateway, tokens, clients
) -> None:
    url = live_gateway(live_heartbeat=60)
    client = clients(url, tokens.issue())
    started = time.monotonic()
    stopper = threading.Thread(target=start_gateway.servers[-1].__exit__)
    stopper.start()
    frame = client.next(timeout=10)
    assert frame is not None and frame.event == "shutdown"
    assert client.next(timeout=5) is None
    stopper.join(20)
    assert not stopper.is_alive()
    assert time.monotonic() - started < 10  # not held by the endless response


def revoke(url: str, *, token_ids: list[str]) -> None:
    now = datetime.now(UTC)
    publish(
        url,
        cloud_event(
            "access.tokens.revoked.v1",
            {
                "cause": "signed_out",
                "token_ids": token_ids,
                "revoked_at": now.isoformat(),
                "expires_at": (now + timedelta(minutes=10)).isoformat(),
            },
        ),
    )


def test_a_revoked_token_ends_its_connection_and_is_refused(
    live_gateway, tokens, nats_url, clients, upstream
) -> None:
    url = live_gateway()
    jti = uuid.uuid4().hex
    token = tokens.issue(jti=jti)
    kept = tokens.issue()
    assert httpx.get(f"{url}/api/registry/echo", headers={"Authorization": f"Bearer {token}"})
    client = clients(url, token)
    other = clients(url, kept)

    revoke(nats_url, token_ids=[jti])
    frame = client.next(timeout=10)
    assert frame is not None and frame.event == "revoked"
    assert client.next(timeout=5) is None
    # the verified-token cache no longer answers for it
    response = httpx.get(f"{url}/api/registry/echo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    response = httpx.get(f"{url}/api/live", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    # other tokens go on
    assert httpx.get(f"{url}/api/registry/echo", headers={"Authorization": f"Bearer {kept}"})
    other_frames = list(other.frames.queue)
    assert None not in other_frames


def test_a_slow_client_is_disconnected_not_buffered(live_gateway, tokens, nats_url) -> None:
    url = live_gateway(live_queue_size=2)
    mine = unit()
    padding = "x" * 200_000  # 40 events: more than the sockets' buffers hold

    async def run() -> str:
        # a client that opens the channel and then reads nothing for a while
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        reader, writer = await asyncio.open_connection(sock=sock)
        token = tokens.issue(roles=OFFICER, unit=mine)
        writer.write(
            f"GET /api/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 200 " in head
        events = [offline(f"EPE-{i}", mine) for i in range(40)]
        for event in events:
            event.data["padding"] = padding
        await asyncio.to_thread(publish, nats_url, *events)
        await asyncio.sleep(2)
        rest = b""
        async with asyncio.timeout(30):
            while not rest.endswith(b"\r\n0\r\n\r\n"):  # the response's last chunk
                chunk = await reader.read(1 << 20)
                assert chunk, "the connection closed before the response ended"
                rest += chunk
        writer.close()
        return rest.decode()

    body = asyncio.run(run())
    assert "event: overflow" in body
    assert body.count("registry.camera.went_offline.v1") < 2 * 40


def announce(url: str, notice_id: str, *, kind: str = "planned", days: int = 6) -> None:
    starts = datetime.now(UTC) + timedelta(days=days)
    publish(
        url,
        cloud_event(
            "access.maintenance.announced.v1",
            {
                "notice_id": notice_id,
                "kind": kind,
                "title": "Nâng cấp",
                "affects": ["registry"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "emergency": False,
                "announced_at": datetime.now(UTC).isoformat(),
            },
        ),
    )


def header_of(url: str, headers: dict[str, str]) -> str | None:
    response = httpx.get(f"{url}/api/registry/echo", headers=headers, timeout=10)
    assert response.status_code == 200
    return response.headers.get("camwatch-maintenance")


def wait_for(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)


def test_vendor_responses_announce_maintenance(live_gateway, tokens, nats_url) -> None:
    url = live_gateway()
    notice_id = f"n-{uuid.uuid4().hex[:8]}"
    vendor = tokens.headers(subject="v", roles=(Role.EPE_CLIENT,), epe_id="EPE-1")
    system = tokens.headers(subject="c", roles=(Role.CUSTOMS_SYSTEM,), unit=None)
    officer = tokens.headers()

    announce(nats_url, notice_id)
    wait_for(lambda: notice_id in (header_of(url, vendor) or ""))
    value = header_of(url, vendor) or ""
    item = next(i for i in value.split(", ") if notice_id in i)
    assert item.startswith(f'"{notice_id}";kind="planned";state="announced";starts="')
    assert ';ends="' in item and item.endswith('Z"')
    assert notice_id in (header_of(url, system) or "")
    assert header_of(url, officer) is None  # officers have the banner

    publish(
        nats_url,
        cloud_event(
            "access.maintenance.updated.v1",
            {
                "notice_id": notice_id,
                "kind": "planned",
                "state": "cancelled",
                "text": "hoãn",
                "updated_at": datetime.now(UTC).isoformat(),
            },
        ),
    )
    wait_for(lambda: notice_id not in (header_of(url, vendor) or ""))


def test_a_restarted_gateway_knows_the_announced_notices(live_gateway, tokens, nats_url) -> None:
    notice_id = f"n-{uuid.uuid4().hex[:8]}"
    announce(nats_url, notice_id, kind="breakdown", days=0)
    url = live_gateway()  # started after the announcement: replays access.maintenance.*
    vendor = tokens.headers(subject="v", roles=(Role.EPE_CLIENT,), epe_id="EPE-1")
    wait_for(lambda: notice_id in (header_of(url, vendor) or ""))
    assert f'"{notice_id}";kind="breakdown";state="in_progress"' in (header_of(url, vendor) or "")
