"""The registry projection: late events do not roll back; outages survive events out of order."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from risk.projection.models import Camera, Outage
from risk.projection.service import blind_cameras
from servicekit.clock import ManualClock

from ..conftest import START, Feed


def test_an_older_camera_event_does_not_undo_a_newer_one(app: FastAPI, feed: Feed) -> None:
    data = {"camera_id": "gate-1", "epe_id": "epe-1", "position_kind": "epe_gate"}
    feed.handle("registry.camera.removed.v1", data, START)
    feed.handle("registry.camera.changed.v1", data, START - timedelta(days=1))
    with Session(app.state.engine) as session:
        camera = session.get(Camera, "gate-1")
        assert camera is not None and camera.removed and not camera.is_gate


def test_came_back_before_went_offline_keeps_the_whole_window(
    app: FastAPI, feed: Feed, clock: ManualClock
) -> None:
    start, end = START - timedelta(hours=2), START - timedelta(hours=1)
    feed.back("gate-1", "epe-1", "out-7", start, end)
    feed.outage("gate-1", "epe-1", "out-7", start)  # delivered late
    with Session(app.state.engine) as session:
        outage = session.get(Outage, "out-7")
        assert outage is not None and outage.ended_at == end
        middle = start + timedelta(minutes=30)
        assert blind_cameras(session, epe_id="epe-1", at=middle) == ["gate-1"]
        assert blind_cameras(session, epe_id="epe-1", at=end) == []
        assert blind_cameras(session, epe_id="epe-2", at=middle) == []


def test_warnings_raised_before_the_enterprise_was_known_get_its_unit(
    app: FastAPI, feed: Feed, client: Any, head_headers: dict[str, str]
) -> None:
    entry = {
        "entry_id": "gl-3",
        "incident_id": "inc-3",
        "epe_id": "epe-3",
        "unit": None,
        "plate": "51C-123.45",
        "container_numbers": [],
        "direction": "entry",
        "occurred_at": "2025-01-20T01:30:00+00:00",
        "recorded_at": "2025-01-20T01:35:00+00:00",
    }
    feed.handle("incidents.gate_log.recorded.v1", entry)  # before the registry's event
    assert client.get("/warnings", headers=head_headers).json()["data"] == []
    feed.epe("epe-3", tax_code="0301111111")
    [warning] = client.get("/warnings", headers=head_headers).json()["data"]
    assert (warning["epe_id"], warning["unit"]) == ("epe-3", "CC-HQ-KCX-TANTHUAN")
