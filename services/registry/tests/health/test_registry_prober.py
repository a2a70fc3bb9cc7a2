"""The active prober against tiny fake ONVIF and RTSP servers on 127.0.0.1.

Loopback is denied by the default probe network policy, so these tests allow it explicitly
(`LOOPBACK`); the policy's own refusals are tested at the end and in
test_registry_probe_policy.py.
"""

import asyncio
import socket
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from devkit.testing.registry import EPE_ID, build_site, registry_settings
from registry.health.detector import Thresholds, run_tick
from registry.health.models import CameraHealth
from registry.health.probe_policy import ProbePolicy
from registry.health.prober import Prober, probe_camera, probe_onvif, probe_rtsp
from servicekit.clock import utc_now

#: The fake cameras listen on 127.0.0.1 at a random port: allowed only here.
LOOPBACK = ProbePolicy.build(allowed=["127.0.0.1/32"], denied=[], ports=[(1024, 65535)])
DEFAULT = ProbePolicy.build()


@pytest.fixture
def settings(database):
    """The app allows the fake cameras too: probed URLs are checked when a camera is saved."""
    return registry_settings(
        database,
        probe_allowed_networks="127.0.0.1/32",
        probe_denied_networks="",
        probe_allowed_ports="1-65535",
    )


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
        self.hosts: list[str] = []
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def _serve(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        text = head.decode("latin-1")
        self.requests.append(text.split("\r\n", 1)[0])
        self.hosts += [
            line.split(":", 1)[1].strip()
            for line in text.split("\r\n")
            if line.lower().startswith("host:")
        ]
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
        ok = await probe_rtsp(
            f"rtsp://127.0.0.1:{camera.port}/Streaming/Channels/101", 2, policy=LOOPBACK
        )
        assert ok.ok and ok.detail == "RTSP OPTIONS 200"
        assert camera.requests[0].startswith(f"OPTIONS rtsp://127.0.0.1:{camera.port}/")
    finally:
        await camera.stop()
    down = await probe_rtsp(f"rtsp://127.0.0.1:{camera.port}/x", 1, policy=LOOPBACK)
    assert not down.ok and down.detail.startswith("RTSP:")


async def test_rtsp_401_still_means_reachable():
    camera = await FakeCamera(rtsp_status="401 Unauthorized").start()
    try:
        assert (await probe_rtsp(f"rtsp://127.0.0.1:{camera.port}/", 2, policy=LOOPBACK)).ok
    finally:
        await camera.stop()


async def test_onvif_probe():
    camera = await FakeCamera().start()
    try:
        async with httpx.AsyncClient() as client:
            result = await probe_onvif(
                client, f"http://127.0.0.1:{camera.port}/onvif/device_service", 2, policy=LOOPBACK
            )
        assert result.ok, result.detail
        assert camera.requests == ["POST /onvif/device_service HTTP/1.1 GetSystemDateAndTime"]
        assert camera.hosts == [f"127.0.0.1:{camera.port}"]
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
    prober = Prober(
        app.state.engine,
        interval=60,
        timeout=2,
        concurrency=4,
        claim=30,
        grace=30,
        policy=LOOPBACK,
    )
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


# --- the probe network policy -------------------------------------------------------------


def fake_dns(monkeypatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Make the running loop resolve names from `answers` (one list of addresses per call,
    the last repeated); returns the names asked, so a test can count resolutions."""
    loop = asyncio.get_running_loop()
    asked: list[str] = []

    async def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        asked.append(host)
        calls = answers[host]
        addresses = calls[min(asked.count(host), len(calls)) - 1]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return asked


async def test_default_policy_refuses_loopback_without_connecting():
    camera = await FakeCamera().start()
    try:
        async with httpx.AsyncClient() as client:
            onvif = await probe_onvif(
                client, f"http://127.0.0.1:{camera.port}/onvif/device_service", 2, policy=DEFAULT
            )
        rtsp = await probe_rtsp(f"rtsp://127.0.0.1:{camera.port}/", 2, policy=DEFAULT)
    finally:
        await camera.stop()
    for result in (onvif, rtsp):
        assert result.refused and not result.ok and result.status == "refused"
        assert "refused by the probe network policy" in result.detail
    assert camera.requests == [], "a refused probe never connects"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is in denied network"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is in denied network"),
        ("rtsp://[::1]:554/live", "::1 is in denied network ::1/128"),
        ("rtsp://[::ffff:127.0.0.1]:554/live", "127.0.0.1 is in denied network 127.0.0.0/8"),
        ("rtsp://[64:ff9b::a9fe:a9fe]:554/live", "embeds 169.254.169.254"),
        ("rtsp://0.0.0.0:554/live", "0.0.0.0 is in denied network 0.0.0.0/8"),
        ("rtsp://224.0.0.1:554/live", "in denied network 224.0.0.0/4"),
        ("rtsp://203.0.113.10:5432/live", "port 5432 is not an allowed probe port"),
        ("http://203.0.113.10:4222/onvif/device_service", "port 4222 is not an allowed"),
    ],
)
async def test_default_policy_refuses(url, reason):
    async with httpx.AsyncClient() as client:
        if url.startswith("http"):
            result = await probe_camera(
                client, onvif_url=url, stream_url=None, wait=1, policy=DEFAULT
            )
        else:
            result = await probe_camera(
                client, onvif_url=None, stream_url=url, wait=1, policy=DEFAULT
            )
    assert result.refused, result
    assert reason in result.detail, result.detail


async def test_a_name_resolving_to_a_denied_address_is_refused(monkeypatch):
    asked = fake_dns(
        monkeypatch,
        {
            "metadata.epe.test": [["169.254.169.254"]],
            # one good address is not enough: every address the name resolves to is checked
            "mixed.epe.test": [["203.0.113.10", "127.0.0.1"]],
            "v6.epe.test": [["2001:db8::10", "::1"]],
        },
    )
    async with httpx.AsyncClient() as client:
        onvif = await probe_onvif(
            client, "http://metadata.epe.test/onvif/device_service", 1, policy=DEFAULT
        )
        mixed = await probe_rtsp("rtsp://mixed.epe.test:554/live", 1, policy=DEFAULT)
        v6 = await probe_rtsp("rtsp://v6.epe.test/live", 1, policy=DEFAULT)
    assert onvif.refused and onvif.detail.endswith(
        "the name metadata.epe.test resolves to 169.254.169.254; "
        "169.254.169.254 is in denied network 169.254.0.0/16"
    )
    assert mixed.refused and "resolves to 127.0.0.1" in mixed.detail
    assert v6.refused and "resolves to ::1" in v6.detail
    assert asked == ["metadata.epe.test", "mixed.epe.test", "v6.epe.test"]


async def test_an_unresolvable_name_is_unreachable_not_refused(monkeypatch):
    fake_dns(monkeypatch, {})
    result = await probe_rtsp("rtsp://gone.epe.test/live", 1, policy=DEFAULT)
    assert not result.ok and not result.refused and result.status == "unreachable"
    assert result.detail == "RTSP: the host name does not resolve"


async def test_the_checked_address_is_the_one_connected_to(monkeypatch):
    """Resolved once and checked, then connected by address: a second answer for the name
    (DNS rebinding to the metadata address) is never asked for."""
    camera = await FakeCamera().start()
    rebinding = {"cam.epe.test": [["127.0.0.1"], ["169.254.169.254"]]}
    try:
        asked = fake_dns(monkeypatch, rebinding)
        async with httpx.AsyncClient() as client:
            onvif = await probe_onvif(
                client,
                f"http://cam.epe.test:{camera.port}/onvif/device_service",
                2,
                policy=LOOPBACK,
            )
        assert onvif.ok, onvif.detail
        assert asked == ["cam.epe.test"]
        asked = fake_dns(monkeypatch, rebinding)
        rtsp = await probe_rtsp(f"rtsp://cam.epe.test:{camera.port}/live", 2, policy=LOOPBACK)
        assert rtsp.ok, rtsp.detail
        assert asked == ["cam.epe.test"]
    finally:
        await camera.stop()
    # the requests still name the camera's host
    assert camera.hosts == [f"cam.epe.test:{camera.port}"]
    assert camera.requests[1].startswith(f"OPTIONS rtsp://cam.epe.test:{camera.port}/live")


async def test_a_refused_probe_is_recorded_and_causes_no_outage(client, callers, app):
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
    prober = Prober(
        app.state.engine,
        interval=60,
        timeout=2,
        concurrency=4,
        claim=30,
        grace=30,
        policy=ProbePolicy.build(ports=[(1024, 65535)]),  # the default networks
    )
    thresholds = Thresholds(silence=100, grace=30)
    t0 = utc_now()
    try:
        async with httpx.AsyncClient() as http:
            results = await prober.run_round(http, t0)
    finally:
        await camera.stop()
    assert [(res.status, res.refused) for res in results.values()] == [("refused", True)]
    assert camera.requests == []
    with Session(app.state.engine) as session:
        row = session.execute(
            select(CameraHealth).where(CameraHealth.camera_id == gate_cam["id"])
        ).scalar_one()
        assert row.probe_status == "refused"
        assert row.probe_fault_since is None and row.probe_ok_since is None
        assert "127.0.0.1 is in denied network 127.0.0.0/8" in (row.probe_detail or "")
        # tried again after the normal interval (the policy or the name may change)
        assert row.probe_next_at >= t0 + timedelta(seconds=59)
    # long past the grace: no outage from the refusal alone
    went = run_tick(app.state.engine, now=t0 + timedelta(seconds=120), thresholds=thresholds)
    assert went.went_offline == []
    health = client.get(f"/epes/{EPE_ID}/health", headers=callers.officer()).json()["data"]
    mine = next(h for h in health if h["camera_id"] == gate_cam["id"])
    assert mine["last_probe_status"] == "refused"
    assert "denied network 127.0.0.0/8" in mine["last_probe_detail"]
    assert mine["state"] != "offline"


async def test_one_failing_probe_does_not_sink_the_round(client, callers, app, monkeypatch):
    import registry.health.prober as prober_module

    site = build_site(client, callers)
    for number in ("C01", "C02"):
        r = client.patch(
            f"/epes/{EPE_ID}/cameras/{site.cameras[number]['id']}",
            json={"onvif_url": f"http://cam-{number}.epe.test/onvif", "probe_enabled": True},
            headers=callers.epe(),
        )
        assert r.status_code == 200, r.text

    async def probe(client, *, onvif_url, stream_url, wait, policy):
        if "C01" in onvif_url:
            raise RuntimeError("boom")
        return prober_module.ProbeResult(True, "fine")

    monkeypatch.setattr(prober_module, "probe_camera", probe)
    prober = Prober(
        app.state.engine, interval=60, timeout=2, concurrency=4, claim=30, grace=30, policy=DEFAULT
    )
    async with httpx.AsyncClient() as http:
        results = await prober.run_round(http, utc_now())
    by_id = {cid: (res.ok, res.detail) for cid, res in results.items()}
    assert by_id == {
        site.cameras["C01"]["id"]: (False, "probe error: RuntimeError"),
        site.cameras["C02"]["id"]: (True, "fine"),
    }
