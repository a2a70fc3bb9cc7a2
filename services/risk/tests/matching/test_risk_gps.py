"""GPS against the gate: a vehicle the gate saw while its GPS put it elsewhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ..conftest import START, Feed
from .test_risk_matching import declare, outbox, post, warnings

GATE = (10.7626, 106.7432)  # KCX Tân Thuận gate
NEAR = (10.7640, 106.7440)  # ~180 m away
FAR = (10.8231, 106.6297)  # Tân Sơn Nhất, ~14 km away
RULE = "gps_elsewhere_at_gate"


@pytest.fixture
def located(feed: Feed) -> Feed:
    """gate-1 is at an area the registry locates."""
    data = {
        "camera_id": "gate-1",
        "epe_id": "epe-1",
        "unit": "CC-HQ-KCX-TANTHUAN",
        "position_kind": "epe_gate",
        "area_latitude": GATE[0],
        "area_longitude": GATE[1],
    }
    feed.handle("registry.camera.changed.v1", data, START - timedelta(days=1))
    return feed


def fix(client: TestClient, headers: dict[str, str], where: tuple[float, float], at: str) -> None:
    body: dict[str, Any] = {
        "plate": "51C-123.45",
        "at": at,
        "latitude": where[0],
        "longitude": where[1],
    }
    response = client.post("/customs/gps-fixes", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text


def gps_warnings(app: FastAPI) -> list[Any]:
    return [w for w in warnings(app) if w.rule == RULE]


def test_a_fix_near_the_gate_raises_nothing(
    client: TestClient,
    app: FastAPI,
    located: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    fix(client, customs_headers, NEAR, "2025-01-20T08:53:00+07:00")
    post(client, epe_headers)
    assert warnings(app) == []


def test_a_fix_far_from_the_gate_at_gate_time_is_a_warning_that_explains_itself(
    client: TestClient,
    app: FastAPI,
    located: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    fix(client, customs_headers, FAR, "2025-01-20T08:57:00+07:00")
    gate = post(client, epe_headers)
    [warning] = warnings(app)
    assert (warning.rule, warning.subject, warning.severity) == (RULE, "51C-123.45", "medium")
    facts = warning.explanation
    assert facts["gate_event_id"] == gate["id"]
    assert facts["gate_location"] == {"latitude": GATE[0], "longitude": GATE[1]}
    assert facts["window"] == {
        "from": "2025-01-20T01:45:00+00:00",
        "to": "2025-01-20T02:05:00+00:00",
    }
    assert facts["tolerance_m"] == 1000
    [compared] = facts["compared"]
    assert compared["kind"] == "gps_fix"
    assert compared["at"] == "2025-01-20T01:57:00+00:00"
    assert 13_000 < compared["distance_m"] < 16_000
    assert (compared["latitude"], compared["longitude"]) == FAR


def test_fixes_outside_the_window_or_an_unlocated_gate_raise_nothing(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    fix(client, customs_headers, FAR, "2025-01-20T08:57:00+07:00")
    post(client, epe_headers)  # gate-1 has no coordinates in this test
    assert gps_warnings(app) == []


def test_a_far_fix_long_before_the_gate_time_raises_nothing(
    client: TestClient,
    app: FastAPI,
    located: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    fix(client, customs_headers, FAR, "2025-01-20T08:30:00+07:00")
    post(client, epe_headers)
    assert warnings(app) == []


def test_a_late_fix_rematches_exactly_once(
    client: TestClient,
    app: FastAPI,
    located: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    post(client, epe_headers)
    assert warnings(app) == []
    fix(client, customs_headers, FAR, "2025-01-20T08:50:00+07:00")
    fix(client, customs_headers, FAR, "2025-01-20T08:50:00+07:00")  # resent
    [warning] = gps_warnings(app)
    fix(client, customs_headers, FAR, "2025-01-20T08:52:00+07:00")  # another far fix
    [again] = gps_warnings(app)
    assert again.id == warning.id
    assert len(outbox(app, "risk.warning.raised.v1")) == 1


def test_a_gate_area_no_longer_located_raises_nothing(
    client: TestClient,
    app: FastAPI,
    located: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    data = {"camera_id": "gate-1", "epe_id": "epe-1", "position_kind": "epe_gate"}
    unlocated = {**data, "area_id": "a-1", "area_latitude": None, "area_longitude": None}
    located.handle("registry.camera.changed.v1", unlocated, START - timedelta(hours=1))
    located.handle(
        "registry.camera.changed.v1",
        {**data, "area_latitude": 1.0, "area_longitude": 1.0},
        START - timedelta(days=2),
    )  # redelivered, older
    declare(client, customs_headers)
    fix(client, customs_headers, FAR, "2025-01-20T08:57:00+07:00")
    post(client, epe_headers)
    assert warnings(app) == []
