"""The active prober against tiny fake ONVIF and RTSP servers on 127.0.0.1."""

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlmodel import Session

from registry.common import utc_now
from registry.health.detector import Thresholds, run_tick
from registry.health.models import CameraHealth
from registry.health.prober import Prober, probe_onvif, probe_rtsp
from registry.testing import EPE_ID, build_site

ONVIF_ANSWER = (
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
    '<tds:GetSystemDateAndTimeResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl">'
    "<tds:SystemDateAndTime/></tds:GetSystemDateAndTimeResponse></s:Body></s:Envelope>"
)


class FakeCamera:
    """Answers RTSP OPTIONS and ONVIF GetSystemDateAndTime on one port; records requests."""

    def __init__(self, *, rtsp_status: str = "200 OK") -> None:
        self.rtsp_status = rtsp_status
        self.requests: list[str] = []
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def _serve(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        text = head.decode("latin-1")
        self.requests.append(text.split("\r\n", 1)[0])
        if text.startswith("OPTIONS"):
            writer.write(
                f"RTSP/1.0 {self.rtsp_status}\r\nCSeq: 1\r\nPublic: DESCRIBE, SETUP\r\n\r\n".encode()
            )
        else:
            length = next(
                (
                    int(line.split(":")[1])
                    for line in text.split("\r\n")
                    if line.lower().startswith("content-length")
                ),
                0,
            )
            body = await reader.readexactly(length)
            self.requests[-1] += " " + (
                "GetSystemDateAndTime" if b"GetSystemDateAndTime" in body else "?"
            )
            answer = ONVIF_ANSWER.encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml\r\nConnection: close\r\n"
                + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                + answer
            )
        await writer.drain()
        writer.close()

    async def start(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


async def test_rtsp_options_probe():
    camera = await FakeCamera().start()
    try:
        ok = await probe_rtsp(f"rtsp://127.0.0.1:{camera.port}/Streaming/Channels/101", 2)
        assert ok.ok and ok.detail == "RTSP OPTIONS 200"
        assert camera.requests[0].startswith(f"OPTIONS rtsp://127.0.0.1:{camera.port}/")
    finally:
        await camera.stop()
    down = await probe_rtsp(f"rtsp://127.0.0.1:{camera.port}/x", 1)
    assert not down.ok and down.detail.startswith("RTSP:")


async def test_rtsp_401_still_means_reachable():
    camera = await FakeCamera(rtsp_status="401 Unauthorized").start()
    try:
        assert (await probe_rtsp(f"rtsp://127.0.0.1:{camera.port}/", 2)).ok
    finally:
        await camera.stop()


async def test_onvif_probe():
    camera = await FakeCamera().start()
    try:
        async with httpx.AsyncClient() as client:
            result = await probe_onvif(
                client, f"http://127.0.0.1:{camera.port}/onvif/device_service", 2
            )
        assert result.ok, result.detail
        assert camera.requests == ["POST /onvif/device_service HTTP/1.1 GetSystemDateAndTime"]
    finally:
        await camera.stop()


async def test_prober_round_feeds_the_detector(client, callers, app):
    camera = await FakeCamera().start()
    site = build_site(client, callers)
    gate_cam = site.cameras["C01"]
    r = client.patch(
        f"/epes/{EPE_ID}/cameras/{gate_cam['id']}",
        json={
            "onvif_url": f"http://127.0.0.1:{camera.port}/onvif/device_service",
            "probe_enabled": True,
        },
        headers=callers.epe(),
    )
    assert r.status_code == 200, r.text
    prober = Prober(app.state.engine, interval=60, timeout=2, concurrency=4, claim=30, grace=30)
    thresholds = Thresholds(silence=100, grace=30)
    async with httpx.AsyncClient() as http:
        results = await prober.run_round(http, utc_now())
        assert [res.ok for res in results.values()] == [True]
        # nothing else is due: the next probe is an interval away
        assert await prober.run_round(http, utc_now()) == {}
        assert run_tick(app.state.engine, now=utc_now(), thresholds=thresholds).first_seen == [
            gate_cam["id"]
        ]
        await camera.stop()
        later = utc_now() + timedelta(seconds=61)
        results = await prober.run_round(http, later)
        assert [res.ok for res in results.values()] == [False]
    with Session(app.state.engine) as session:
        row = session.execute(
            select(CameraHealth).where(CameraHealth.camera_id == gate_cam["id"])
        ).scalar_one()
        assert row.probe_status == "unreachable" and row.probe_fault_since is not None
        assert row.probe_next_at < later + timedelta(seconds=60)  # re-probed soon after a failure
    went = run_tick(
        app.state.engine, now=utc_now() + timedelta(seconds=61 + 31), thresholds=thresholds
    )
    assert went.went_offline == [gate_cam["id"]]


def test_two_prober_replicas_claim_disjoint_cameras(client, callers, app):
    import threading

    from registry.health.prober import claim_due

    site = build_site(client, callers)
    for number in ("C01", "C02", "C03"):
        r = client.patch(
            f"/epes/{EPE_ID}/cameras/{site.cameras[number]['id']}",
            json={"onvif_url": "http://127.0.0.1:9/onvif/device_service", "probe_enabled": True},
            headers=callers.epe(),
        )
        assert r.status_code == 200
    now = utc_now() + timedelta(seconds=1)
    barrier = threading.Barrier(2)
    claimed: dict[str, list[str]] = {}

    def replica(name):
        barrier.wait()
        rows = claim_due(app.state.engine, now=now, worker=name, limit=10, claim=30)
        claimed[name] = [r["camera_id"] for r in rows]

    threads = [threading.Thread(target=replica, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    together = claimed["a"] + claimed["b"]
    assert sorted(together) == sorted(c["id"] for c in site.cameras.values())
    # claimed cameras are not handed out again until the claim expires
    assert claim_due(app.state.engine, now=now, worker="c", limit=10, claim=30) == []
    later = claim_due(
        app.state.engine, now=now + timedelta(seconds=31), worker="c", limit=10, claim=30
    )
    assert len(later) == 3
