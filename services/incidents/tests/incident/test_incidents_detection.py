"""Detected incidents from registry events (the handlers, fed through the projection)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from servicekit.events.outbox import TABLES


def outbox(app, event_type: str) -> list[dict]:
    """Data of the events of a type waiting in the outbox."""
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(TABLES.outbox.c.envelope).where(TABLES.outbox.c.type == event_type)
        ).all()
    return [json.loads(row.envelope)["data"] for row in rows]


def test_a_camera_going_offline_opens_a_detected_incident(
    app, client, registry, officer_headers, clock
) -> None:
    offline_at = clock.now() - timedelta(minutes=10)
    registry.went_offline("cam-1", "epe-1", at=offline_at)
    incidents = client.get("/incidents", headers=officer_headers).json()["data"]
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident["state"] == "detected" and incident["detected"] is True
    assert incident["camera_ids"] == ["cam-1"]
    assert incident["notice_id"] is None
    requested = outbox(app, "incidents.notice.requested.v1")
    assert len(requested) == 1
    assert requested[0]["incident_id"] == incident["id"]
    assert requested[0]["epe_id"] == "epe-1"
    assert requested[0]["unit"] == "CC-HQ-KCX-TANTHUAN"


def test_more_cameras_join_the_open_detected_incident(
    app, client, registry, officer_headers
) -> None:
    registry.went_offline("cam-1", "epe-1")
    registry.went_offline("cam-2", "epe-1")
    incidents = client.get("/incidents", headers=officer_headers).json()["data"]
    assert len(incidents) == 1
    assert incidents[0]["camera_ids"] == ["cam-1", "cam-2"]
    assert len(outbox(app, "incidents.notice.requested.v1")) == 1


def test_the_first_notice_links_to_the_detected_incident(
    app, client, registry, file_notice, officer_headers, clock
) -> None:
    registry.went_offline("cam-1", "epe-1", at=clock.now())
    detected = client.get("/incidents", headers=officer_headers).json()["data"][0]
    clock.advance(timedelta(days=2))  # the EPE notifies on Wednesday
    notice = file_notice()
    assert notice.status_code == 201, notice.text
    assert notice.json()["incident_id"] == detected["id"]
    incident = client.get(f"/incidents/{detected['id']}", headers=officer_headers).json()
    assert incident["state"] == "notified"
    assert incident["notice_id"] == notice.json()["id"]
    # The deadline still counts from the detection (Monday 20 January), not from the notice.
    assert incident["deadline_date"] == "2025-02-10"
    filed = outbox(app, "incidents.notice.filed.v1")
    assert filed[0]["linked_to_detected"] is True


def test_a_camera_covered_by_an_open_notice_opens_nothing(
    app, client, registry, file_notice, notice, officer_headers
) -> None:
    file_notice()
    registry.went_offline("cam-1", "epe-1")
    assert len(client.get("/incidents", headers=officer_headers).json()["data"]) == 1
    # A channel notice covers every camera of the EPE.
    file_notice(notice(kind="transmission_channel", camera_ids=[], channel="separate_line"))
    registry.went_offline("cam-2", "epe-1")
    assert len(client.get("/incidents", headers=officer_headers).json()["data"]) == 2
    assert outbox(app, "incidents.notice.requested.v1") == []


def test_cameras_that_need_not_be_online_are_ignored(app, client, registry, officer_headers):
    registry.camera("cam-off", "epe-1", online=False)
    registry.went_offline("cam-off", "epe-1", must_be_online=False)
    assert client.get("/incidents", headers=officer_headers).json()["data"] == []


def test_recurrence_of_a_detected_camera(
    app, client, registry, file_notice, epe_headers, officer_headers, clock
) -> None:
    first = file_notice().json()["incident_id"]
    clock.advance(timedelta(hours=4))
    client.post(
        f"/incidents/{first}/restoration",
        json={"restored_at": clock.now().isoformat()},
        headers=epe_headers,
    )
    clock.advance(timedelta(days=3))
    registry.went_offline("cam-1", "epe-1", at=clock.now())
    detected = [
        i
        for i in client.get("/incidents", headers=officer_headers).json()["data"]
        if i["id"] != first
    ]
    assert detected[0]["previous_incident_id"] == first
    assert outbox(app, "incidents.notice.requested.v1")[0]["previous_incident_id"] == first


def test_a_detected_incident_ends_when_all_its_cameras_are_back(
    app, client, registry, officer_headers, clock
) -> None:
    registry.went_offline("cam-1", "epe-1", at=clock.now())
    registry.went_offline("cam-2", "epe-1", at=clock.now())
    clock.advance(timedelta(minutes=40))
    registry.came_back("cam-1", "epe-1", at=clock.now())
    incident = client.get("/incidents", headers=officer_headers).json()["data"][0]
    assert incident["state"] == "detected"  # cam-2 is still down
    registry.came_back("cam-2", "epe-1", at=clock.now())
    incident = client.get(f"/incidents/{incident['id']}", headers=officer_headers).json()
    assert incident["state"] == "restored"
    assert incident["promptness"] == "early"
    assert len(outbox(app, "incidents.incident.restored.v1")) == 1
    closed = client.post(f"/incidents/{incident['id']}/closure", json={}, headers=officer_headers)
    assert closed.status_code == 200
