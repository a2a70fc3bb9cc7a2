"""The registry and access projections decide what may be requested and by whom."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from servicekit.events import PermanentError

from ..conftest import Feed

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-2"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Kiểm tra kho",
}


def test_a_removed_camera_cannot_be_requested_and_a_late_event_does_not_revive_it(
    client: TestClient, feed: Feed, officer_headers: dict[str, str]
) -> None:
    data = {"camera_id": "cam-2", "epe_id": "epe-1"}
    feed.handle("registry.camera.removed.v1", data)
    feed.handle("registry.camera.changed.v1", data, feed.clock.now() - timedelta(days=1))
    answer = client.post("/requests", json=BODY, headers=officer_headers)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "body.cameras"


def test_an_ended_assignment_stops_requests_even_if_the_start_comes_late(
    client: TestClient, feed: Feed, officer_headers: dict[str, str]
) -> None:
    feed.assign("officer-an", "epe-1", change="ended")
    late = feed.clock.now() - timedelta(hours=1)
    feed.handle(
        "access.assignment.changed.v1",
        {
            "assignment_id": "asg-officer-an-epe-1",
            "officer_id": "officer-an",
            "epe_id": "epe-1",
            "unit": "CC-HQ-KCX-TANTHUAN",
            "change": "assigned",
            "changed_at": late.isoformat(),
        },
    )
    assert client.post("/requests", json=BODY, headers=officer_headers).status_code == 403


def test_malformed_events_are_permanent_errors(feed: Feed) -> None:
    with pytest.raises(PermanentError):
        feed.handle("registry.camera.added.v1", {"camera_id": "cam-3"})
    with pytest.raises(PermanentError):
        feed.handle("access.assignment.changed.v1", {"assignment_id": "a", "change": "moved"})
