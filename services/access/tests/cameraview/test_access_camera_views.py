"""Camera views against a simulated camera (real HTTP, digest auth) on a real database: an
assigned officer gets frames, others are refused, every view is audited, the password shows up
nowhere, a dead camera times out cleanly and the camera network policy holds."""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from access.audit.models import AuditRecord
from access.cameraview.handlers import handle_camera_event
from access.cameraview.models import ViewableCamera
from devkit.simulator.cameras import CameraSite
from servicekit.events import CloudEvent

from ..conftest import Flows, World, make_settings

ACCOUNT = "customs-viewer"
EPE = "EPE-DEMO-01"
OTHER_EPE = "EPE-DEMO-02"


@pytest.fixture
def site():
    password = f"cam-{secrets.token_hex(10)}"
    running = CameraSite({EPE: (ACCOUNT, password), OTHER_EPE: (ACCOUNT, password)}).start()
    yield running, password
    running.stop()


@pytest.fixture
def access_settings(database, tmp_path: Path, site):
    running, _ = site
    return make_settings(
        database,
        tmp_path,
        camera_view_allow_loopback=True,
        camera_view_allowed_ports=[running.bound_port, 80],
        camera_view_timeout=2.0,
        camera_view_idle_seconds=1.0,
    )


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def logs():
    handler = Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


def camera_event(
    world: World, *, epe_id: str, number: str, stream_url: str | None, kind: str = "added"
) -> str:
    """Feed the projection as the registry's event would."""
    camera_id = str(uuid.uuid4())
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source="camwatch/registry",
        type=f"registry.camera.{kind}.v1",
        time=datetime.now(UTC),
        data={
            "camera_id": camera_id,
            "epe_id": epe_id,
            "unit": "HQ-KCX-BN",
            "camera_number": number,
            "position_kind": "epe_gate",
            "must_be_online": True,
            "stream_url": stream_url,
        },
    )
    with world.session() as session:
        handle_camera_event(event, session)
        session.commit()
    return camera_id


def release(client: TestClient, flows: Flows, password: str, *, vendor: str, epe_id: str) -> None:
    epe = flows.client_headers(vendor)
    entry = client.post(
        "/vault/entries",
        json={
            "label": "Gate NVR",
            "access_method": "vpn",
            "access_url": "http://127.0.0.1/",
            "account": ACCOUNT,
            "password": password,
        },
        headers=epe,
    )
    assert entry.status_code == 201, entry.text
    policy = client.put(
        f"/camera-views/epes/{epe_id}/policy",
        json={"entry_id": entry.json()["id"], "server_side": True},
        headers=epe,
    )
    assert policy.status_code == 200, policy.text


def audit_rows(world: World, action: str) -> list[AuditRecord]:
    """The audit records of an action, their details parsed."""
    with world.session() as session:
        rows = list(session.exec(select(AuditRecord).where(AuditRecord.action == action)).all())
    for row in rows:
        row.details = json.loads(row.details)  # type: ignore[assignment]
    return rows


def outbox_text(world: World) -> str:
    with world.engine.connect() as conn:
        rows = conn.execute(text("SELECT envelope FROM event_outbox")).all()
    return "\n".join(repr(tuple(r)) for r in rows)


def test_assigned_officer_watches_without_ever_seeing_the_password(
    client, flows, world, site, logs
):
    running, password = site
    url = running.add(EPE, "C01", "gate")
    running.vehicle_passes(EPE, "C01", "51C-123.45", "MSCU1234565")
    camera_id = camera_event(world, epe_id=EPE, number="C01", stream_url=url)
    release(client, flows, password, vendor="epe_vendor_1", epe_id=EPE)
    officer = flows.officer_headers("officer")
    bodies: list[str] = []

    snapshot = client.get(
        f"/camera-views/cameras/{camera_id}/snapshot",
        headers={**officer, "X-Forwarded-For": "10.20.30.40"},
    )
    assert snapshot.status_code == 200, snapshot.text
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert snapshot.content.startswith(b"\xff\xd8")
    assert snapshot.headers["cache-control"] == "no-store"

    with client.stream("GET", f"/camera-views/cameras/{camera_id}/live", headers=officer) as live:
        assert live.status_code == 200
        assert live.headers["content-type"].startswith("multipart/x-mixed-replace")
        received = b""
        for chunk in live.iter_bytes():
            received += chunk
            if received.count(b"\xff\xd8") >= 2:
                break
    assert received.count(b"--camwatchview") >= 2

    wall = client.get("/camera-views/wall", headers=officer)
    assert wall.status_code == 200, wall.text
    tiles = wall.json()["tiles"]
    assert [t["camera_id"] for t in tiles] == [camera_id]
    assert tiles[0]["viewable"] is True
    assert tiles[0]["snapshot_url"].endswith(f"/camera-views/cameras/{camera_id}/snapshot")
    bodies += [wall.text, snapshot.headers.__repr__(), live.headers.__repr__()]
    bodies.append(client.get(f"/camera-views/epes/{EPE}/policy", headers=officer).text)

    views = audit_rows(world, "camera.viewed")
    assert {r.details["kind"] for r in views} == {"snapshot", "live"}
    snap = next(r for r in views if r.details["kind"] == "snapshot")
    assert snap.target == f"camera:{camera_id}"
    assert snap.actor == f"user:{world.user_id('officer')}"
    assert snap.details["client"] == "10.20.30.40"
    assert snap.details["camera_number"] == "C01"
    assert isinstance(snap.details["outside_working_time"], bool)
    assert snap.details["duration_seconds"] >= 0
    live_row = next(r for r in views if r.details["kind"] == "live")
    assert live_row.details["frames"] >= 2

    everything = "\n".join(bodies) + "\n".join(logs.lines) + outbox_text(world)
    everything += json.dumps([r.details for r in audit_rows(world, "camera.viewed")])
    assert password not in everything
    assert password.encode() not in snapshot.content + received


def test_unassigned_officer_and_machine_clients_are_refused(client, flows, world, site):
    running, password = site
    url = running.add(OTHER_EPE, "C01")
    camera_id = camera_event(world, epe_id=OTHER_EPE, number="C01", stream_url=url)
    release(client, flows, password, vendor="epe_vendor_2", epe_id=OTHER_EPE)
    refused = client.get(
        f"/camera-views/cameras/{camera_id}/snapshot", headers=flows.officer_headers("officer")
    )
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    machine = client.get(
        f"/camera-views/cameras/{camera_id}/live", headers=flows.client_headers("epe_vendor_2")
    )
    assert machine.status_code == 403
    assert [r.details["refusal"] for r in audit_rows(world, "camera.view_refused")] == [
        "not_assigned"
    ]
    assert running.cameras[f"{OTHER_EPE}.C01"].frames == 0
    # the head of the unit may watch every EPE of the unit
    head = client.get(
        f"/camera-views/cameras/{camera_id}/snapshot", headers=flows.officer_headers("head")
    )
    assert head.status_code == 200, head.text


def test_without_the_epes_release_only_the_reveal_flow_remains(client, flows, world, site):
    running, _ = site
    camera_id = camera_event(world, epe_id=EPE, number="C01", stream_url=running.add(EPE, "C01"))
    answer = client.get(
        f"/camera-views/cameras/{camera_id}/snapshot", headers=flows.officer_headers("officer")
    )
    assert answer.status_code == 409, answer.text
    assert "reveal" in answer.json()["detail"]


def test_dead_camera_times_out_cleanly_and_feeds_camera_health(client, flows, world, site):
    running, password = site
    url = running.add(EPE, "C02")
    running.set_outage(EPE, "C02", True)
    camera_id = camera_event(world, epe_id=EPE, number="C02", stream_url=url)
    release(client, flows, password, vendor="epe_vendor_1", epe_id=EPE)
    officer = flows.officer_headers("officer")
    for path in ("snapshot", "live"):
        answer = client.get(f"/camera-views/cameras/{camera_id}/{path}", headers=officer)
        assert answer.status_code == 504, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    failed = audit_rows(world, "camera.viewed")
    assert len(failed) == 2 and all(r.outcome == "failure" for r in failed)
    assert "access.camera_view.unreachable.v1" in outbox_text(world)
    running.set_outage(EPE, "C02", False)


@pytest.mark.parametrize(
    "stream_url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::ffff:169.254.169.254]/",  # mapped IPv6
        "http://127.0.0.1:5432/",  # a port cameras do not use
        "rtsp://127.0.0.1/stream",  # not an HTTP stream
    ],
)
def test_the_camera_network_policy_holds(client, flows, world, site, stream_url):
    _, password = site
    camera_id = camera_event(world, epe_id=EPE, number="C09", stream_url=stream_url)
    release(client, flows, password, vendor="epe_vendor_1", epe_id=EPE)
    answer = client.get(
        f"/camera-views/cameras/{camera_id}/snapshot", headers=flows.officer_headers("officer")
    )
    assert answer.status_code in {409, 502}, answer.text
    assert stream_url not in answer.text


def test_loopback_is_refused_unless_the_development_policy_allows_it(database, tmp_path):
    strict = make_settings(database, tmp_path).camera_policy()
    relaxed = make_settings(database, tmp_path, camera_view_allow_loopback=True).camera_policy()
    loopback = ipaddress.ip_address("127.0.0.1")
    assert "denied network" in (strict.address_refusal(loopback) or "")
    assert relaxed.address_refusal(loopback) is None
    metadata_service = ipaddress.ip_address("169.254.169.254")
    assert relaxed.address_refusal(metadata_service) is not None
    assert relaxed.port_refusal(5432) is not None


def test_old_camera_events_do_not_overwrite_newer(world):
    camera_id = camera_event(world, epe_id=EPE, number="C05", stream_url="http://10.0.0.5/")
    stale = CloudEvent(
        id=str(uuid.uuid4()),
        source="camwatch/registry",
        type="registry.camera.removed.v1",
        time=datetime(2020, 1, 1, tzinfo=UTC),
        data={
            "camera_id": camera_id,
            "epe_id": EPE,
            "unit": "HQ-KCX-BN",
            "camera_number": "C05",
            "position_kind": "epe_gate",
            "must_be_online": True,
        },
    )
    with Session(world.engine) as session:
        handle_camera_event(stale, session)
        session.commit()
    with Session(world.engine) as session:
        row = session.get(ViewableCamera, camera_id)
        assert row is not None and not row.removed and row.stream_url == "http://10.0.0.5/"
