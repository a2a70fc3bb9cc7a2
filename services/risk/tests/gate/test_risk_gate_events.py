"""Gate events: vendor reads from the EPE's own gate cameras, manual gate logs, blind windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from devkit.testing.http import assert_problem
from risk.gate.models import GateEvent
from servicekit.clock import ManualClock

from ..conftest import START, Feed


def read(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": "anpr-000001",
        "camera_id": "gate-1",
        "direction": "exit",
        "occurred_at": "2025-01-20T08:55:00+07:00",
        "plate": "51C-123.45",
        "container_numbers": ["CSQU 305438 3"],
        "confidence": 0.91,
        "image_ref": "s3://vendor/2025/01/20/anpr-000001.jpg",
    }
    body.update(changes)
    return body


def stored(app: FastAPI) -> list[GateEvent]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(GateEvent)))


def test_a_read_at_the_own_gate_is_stored_as_read(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    response = client.post("/gate-events", json=read(), headers=epe_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["origin"], body["epe_id"], body["outcome"]) == ("camera", "epe-1", "created")
    assert body["plate"] == "51C12345"
    assert body["container_numbers"] == ["CSQU3054383"]
    assert body["blind_cameras"] == []
    again = client.post("/gate-events", json=read(), headers=epe_headers)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert len(stored(app)) == 1


def test_a_misread_container_is_kept_for_matching_to_repair(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    misread = read(container_numbers=["CSQU3O54383"])  # letter O for digit 0
    response = client.post("/gate-events", json=misread, headers=epe_headers)
    assert response.status_code == 201, response.text
    assert stored(app)[0].container_numbers == ["CSQU3O54383"]


def test_a_changed_resend_is_refused(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    client.post("/gate-events", json=read(), headers=epe_headers)
    problem = assert_problem(
        client.post("/gate-events", json=read(plate="51C-999.99"), headers=epe_headers), 409
    )
    assert "other content" in problem["detail"]
    assert stored(app)[0].plate == "51C12345"


def test_only_the_own_gate_cameras(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    for camera in ("gate-9", "cam-1", "no-such-camera"):
        problem = assert_problem(
            client.post("/gate-events", json=read(camera_id=camera), headers=epe_headers), 422
        )
        assert problem["errors"] == [
            {"field": "body.camera_id", "message": "not a gate camera of this EPE"}
        ]
    assert stored(app) == []


def test_not_from_the_future(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    late = (START + timedelta(minutes=10)).isoformat()
    problem = assert_problem(
        client.post("/gate-events", json=read(occurred_at=late), headers=epe_headers), 422
    )
    assert problem["errors"][0]["field"] == "body.occurred_at"


def test_only_epe_clients_post_gate_events(
    client: TestClient,
    feed: Feed,
    customs_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    for headers in (customs_headers, officer_headers):
        assert_problem(client.post("/gate-events", json=read(), headers=headers), 403)


def test_a_batch_of_reads(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    records = [
        read(event_id="a-1"),
        read(event_id="a-2", camera_id="gate-9"),
        read(event_id="a-3", confidence=1.5),
        read(event_id="a-1"),
    ]
    response = client.post("/gate-events/batch", json={"records": records}, headers=epe_headers)
    result = response.json()
    assert (result["created"], result["unchanged"], result["rejected"]) == (1, 1, 2)
    assert result["items"][1]["errors"] == [
        {"field": "camera_id", "message": "not a gate camera of this EPE"}
    ]
    assert result["items"][2]["errors"][0]["field"] == "confidence"
    assert [e.reference for e in stored(app)] == ["a-1"]


def test_manual_gate_log_entries_become_manual_gate_events_once(
    app: FastAPI, feed: Feed, clock: ManualClock
) -> None:
    entry = {
        "entry_id": "gl-1",
        "incident_id": "inc-1",
        "epe_id": "epe-1",
        "unit": "CC-HQ-KCX-TANTHUAN",
        "plate": "51C-123.45",
        "container_numbers": ["CSQU3054383"],
        "direction": "exit",
        "occurred_at": "2025-01-20T01:30:00+00:00",
        "recorded_at": "2025-01-20T01:35:00+00:00",
    }
    feed.handle("incidents.gate_log.recorded.v1", entry)
    feed.handle("incidents.gate_log.recorded.v1", entry)  # redelivered
    [row] = stored(app)
    assert (row.origin, row.reference, row.incident_id, row.camera_id) == (
        "manual",
        "gl-1",
        "inc-1",
        None,
    )
    assert row.plate == "51C12345"


def test_outage_windows_make_gate_reads_blind(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    down = START - timedelta(hours=1)
    feed.outage("gate-1", "epe-1", "out-1", down)
    during = client.post("/gate-events", json=read(event_id="r-1"), headers=epe_headers)
    assert during.json()["blind_cameras"] == ["gate-1"]
    feed.back("gate-1", "epe-1", "out-1", down, START - timedelta(minutes=30))
    # the same read now falls after the window (08:55 local = 01:55 UTC, window ended 01:30)
    after = client.post("/gate-events", json=read(event_id="r-2"), headers=epe_headers)
    assert after.json()["blind_cameras"] == []
    inside = read(event_id="r-3", occurred_at="2025-01-20T08:10:00+07:00")
    assert client.post("/gate-events", json=inside, headers=epe_headers).json()[
        "blind_cameras"
    ] == ["gate-1"]


def test_gate_events_are_listed_for_whom_they_concern(
    client: TestClient,
    feed: Feed,
    tokens: Any,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    other_epe = tokens.headers(
        subject="vendor-epe-2", roles=["epe_client"], unit=None, epe_id="epe-2"
    )
    for n in range(3):
        at = f"2025-01-20T08:{50 + n}:00+07:00"
        direction = "entry" if n == 1 else "exit"
        body = read(event_id=f"e1-{n}", occurred_at=at, direction=direction)
        assert client.post("/gate-events", json=body, headers=epe_headers).status_code == 201
    epe2 = read(event_id="e2-0", camera_id="gate-9")
    assert client.post("/gate-events", json=epe2, headers=other_epe).status_code == 201
    feed.handle(
        "incidents.gate_log.recorded.v1",
        {
            "entry_id": "gl-1",
            "incident_id": "inc-1",
            "epe_id": "epe-1",
            "plate": "51C-123.45",
            "container_numbers": [],
            "direction": "exit",
            "occurred_at": "2025-01-20T01:00:00+00:00",
        },
    )

    def refs(headers: dict[str, str], query: str = "") -> list[str]:
        response = client.get(f"/gate-events{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [e["reference"] for e in response.json()["data"]]

    assert refs(epe_headers) == ["gl-1", "e1-0", "e1-1", "e1-2"]
    assert refs(other_epe) == ["e2-0"]
    assert refs(other_epe, "?epe_id=epe-1") == []
    assert refs(officer_headers) == ["gl-1", "e1-0", "e1-1", "e1-2"]  # epe-2 is another unit's
    assert len(refs(customs_headers)) == 5
    assert refs(officer_headers, "?origin=manual") == ["gl-1"]
    assert refs(officer_headers, "?direction=entry") == ["e1-1"]
    since = "?since=2025-01-20T01:51:00Z&until=2025-01-20T01:52:00Z"
    assert refs(officer_headers, since) == ["e1-1"]
    first = client.get("/gate-events?limit=3", headers=officer_headers).json()
    rest = client.get(f"/gate-events?cursor={first['next_cursor']}", headers=officer_headers)
    assert [e["reference"] for e in rest.json()["data"]] == ["e1-2"]
    operator = tokens.headers(subject="ops", roles=["it_operator"], unit="CC-HQ-KCX-TANTHUAN")
    assert_problem(client.get("/gate-events", headers=operator), 403)
