"""Matching gate events with customs data: each rule, repairs, late data exactly once."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from risk.warnings.models import RiskWarning, TimelineEntry
from servicekit.events.outbox import TABLES

from ..conftest import START, Feed
from ..customs.test_risk_ingestion import declaration
from ..gate.test_risk_gate_events import read


def warnings(app: FastAPI) -> list[RiskWarning]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(RiskWarning).order_by(col(RiskWarning.rule))))


def outbox(app: FastAPI, event_type: str) -> list[dict[str, Any]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(TABLES.outbox.c.envelope).where(TABLES.outbox.c.type == event_type)
        ).all()
    return [json.loads(r.envelope)["data"] for r in rows]


def timeline(app: FastAPI, warning_id: str) -> list[str]:
    with Session(app.state.engine) as session:
        query = select(TimelineEntry).where(TimelineEntry.warning_id == warning_id)
        return [e.action for e in session.exec(query.order_by(col(TimelineEntry.at)))]


def post(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = client.post("/gate-events", json=read(**changes), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def declare(client: TestClient, headers: dict[str, str], **changes: Any) -> None:
    response = client.post("/customs/declarations", json=declaration(**changes), headers=headers)
    assert response.status_code in (200, 201), response.text


def test_a_cleared_exit_raises_nothing(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    post(client, epe_headers)
    assert warnings(app) == []


def test_an_uncleared_container_leaving_is_a_high_warning_that_explains_itself(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers, cleared_at=None)  # registered, never cleared
    gate = post(client, epe_headers)
    [warning] = warnings(app)
    assert (warning.rule, warning.subject, warning.severity, warning.state) == (
        "container_exit_uncleared",
        "CSQU3054383",
        "high",
        "new",
    )
    assert warning.epe_id == "epe-1"
    facts = warning.explanation
    assert facts["gate_event_id"] == gate["id"]
    assert facts["manual"] is False and facts["repaired"] is False
    assert facts["window"] == {
        "from": "2025-01-17T01:55:00+00:00",
        "to": "2025-01-20T02:10:00+00:00",
    }
    [compared] = facts["compared"]
    assert (compared["kind"], compared["number"], compared["why_not"]) == (
        "declaration",
        "305123456789",
        "not cleared",
    )
    [event] = outbox(app, "risk.warning.raised.v1")
    assert (event["warning_id"], event["rule"]) == (warning.id, "container_exit_uncleared")
    assert event["unit"] == "CC-HQ-KCX-TANTHUAN"
    assert timeline(app, warning.id) == ["raised"]


def test_a_declaration_of_another_enterprise_does_not_clear(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers, epe_tax_code="0309999999")
    post(client, epe_headers)
    [warning] = warnings(app)
    assert "not 0301234567" in warning.explanation["compared"][0]["why_not"]


def test_a_release_clears_the_exit(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    release = {
        "number": "GP-1",
        "declaration_number": "305123456789",
        "epe_tax_code": "0301234567",
        "place": "KCX Tân Thuận",
        "released_at": "2025-01-20T08:40:00+07:00",
        "container_numbers": ["CSQU3054383"],
    }
    client.post("/customs/releases", json=release, headers=customs_headers)
    post(client, epe_headers)
    assert warnings(app) == []


def test_a_repaired_read_matches_and_a_warning_says_it_relied_on_the_repair(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    post(client, epe_headers, event_id="r-1", container_numbers=["CSQU3O54383"])
    [warning] = warnings(app)
    assert warning.subject == "CSQU3054383"
    assert warning.explanation["container_read"] == "CSQU3O54383"
    assert warning.explanation["repaired"] is True
    assert warning.explanation["repairs"] == ["position 6: read O, taken as 0"]
    declare(client, customs_headers)  # now cleared: the repaired read is matched
    assert [w.state for w in warnings(app)] == ["resolved"]


def test_the_vehicle_must_be_a_declared_one_look_alikes_tolerated(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
    post(client, epe_headers, event_id="r-1", plate="51C-1Z3.45")  # Z read for 2
    assert warnings(app) == []
    post(client, epe_headers, event_id="r-2", plate="29A-999.99")
    [warning] = warnings(app)
    assert (warning.rule, warning.subject, warning.severity) == (
        "plate_not_declared",
        "29A99999",
        "medium",
    )
    assert warning.explanation["declared_plates"] == ["51C-123.45"]
    assert warning.explanation["plate_scores"] == {"51C-123.45": 0.0}
    assert warning.explanation["compared"][0]["number"] == "305123456789"


def test_an_unreadable_container_is_a_low_warning(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    post(client, epe_headers, container_numbers=["CSQU3054384"])
    [warning] = warnings(app)
    assert (warning.rule, warning.severity) == ("container_unreadable", "low")


def test_entries_are_not_compared_with_export_declarations(
    client: TestClient, app: FastAPI, feed: Feed, epe_headers: dict[str, str]
) -> None:
    post(client, epe_headers, direction="entry")
    assert warnings(app) == []


def test_manual_and_blind_traffic_are_flagged(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    declare(client, customs_headers)
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
    feed.handle("incidents.gate_log.recorded.v1", entry)  # redelivered: nothing twice
    feed.outage("gate-1", "epe-1", "out-1", START - timedelta(hours=1))
    post(client, epe_headers)
    found = {(w.rule, w.severity): w for w in warnings(app)}
    assert set(found) == {("manual_traffic", "medium"), ("blind_window_traffic", "low")}
    manual = found[("manual_traffic", "medium")].explanation
    assert (manual["manual"], manual["incident_id"]) == (True, "inc-1")
    assert found[("blind_window_traffic", "low")].explanation["blind_cameras"] == ["gate-1"]


def test_late_data_resolves_exactly_once_and_an_amendment_can_reopen(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    post(client, epe_headers)
    [warning] = warnings(app)
    declare(client, customs_headers)  # arrives after the exit, cleared before it
    declare(client, customs_headers)  # resent: unchanged
    batch = {"records": [declaration()]}
    client.post("/customs/declarations/batch", json=batch, headers=customs_headers)
    [resolved] = warnings(app)
    assert resolved.state == "resolved"
    assert timeline(app, warning.id) == ["raised", "resolved_by_late_data"]
    assert len(outbox(app, "risk.warning.resolved.v1")) == 1
    # version 2 of the declaration no longer lists the container
    declare(client, customs_headers, version=2, container_numbers=["MSKU1234565"])
    [reopened] = warnings(app)
    assert reopened.state == "new"
    assert timeline(app, warning.id) == [
        "raised",
        "resolved_by_late_data",
        "reopened_by_late_data",
    ]
    assert len(outbox(app, "risk.warning.raised.v1")) == 2
