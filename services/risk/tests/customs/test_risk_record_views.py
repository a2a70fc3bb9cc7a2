"""Reading what warnings link to: customs records and gate events, each for whom it concerns."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from devkit.testing.http import assert_problem
from servicekit.auth import Role

from ..conftest import OTHER_UNIT, Feed
from ..gate.test_risk_gate_events import read
from .test_risk_ingestion import declaration


def test_a_warning_links_records_its_readers_can_open(
    client: TestClient,
    feed: Feed,
    tokens: Any,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    head_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    client.post("/customs/declarations", json=declaration(cleared_at=None), headers=customs_headers)
    gate = client.post("/gate-events", json=read(), headers=epe_headers).json()
    [warning] = client.get("/warnings", headers=head_headers).json()["data"]
    facts = warning["explanation"]
    record_path, gate_path = facts["compared"][0]["href"], facts["gate_event_href"]
    assert gate_path == f"/gate-events/{gate['id']}"
    other_officer = tokens.headers(
        subject="officer-x", roles=[Role.SUPERVISORY_OFFICER], unit=OTHER_UNIT
    )
    other_epe = tokens.headers(
        subject="vendor-epe-2", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-2"
    )
    for headers in (customs_headers, officer_headers, epe_headers):
        record = client.get(record_path, headers=headers)
        assert record.status_code == 200, record.text
        assert (record.json()["number"], record.json()["epe_id"]) == ("305123456789", "epe-1")
        assert client.get(gate_path, headers=headers).json()["id"] == gate["id"]
    for headers in (other_officer, other_epe):
        assert_problem(client.get(record_path, headers=headers), 403)
        assert_problem(client.get(gate_path, headers=headers), 403)
    assert_problem(client.get("/customs/records/nope", headers=officer_headers), 404)
    assert_problem(client.get("/gate-events/nope", headers=officer_headers), 404)


def test_records_that_name_no_enterprise_are_for_customs_only(
    client: TestClient,
    feed: Feed,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    fix = {
        "plate": "51C-123.45",
        "at": "2025-01-20T08:40:00+07:00",
        "latitude": 10.7,
        "longitude": 106.7,
    }
    created = client.post("/customs/gps-fixes", json=fix, headers=customs_headers).json()
    path = f"/customs/records/{created['id']}"
    assert client.get(path, headers=officer_headers).json()["data"]["latitude"] == 10.7
    assert_problem(client.get(path, headers=epe_headers), 403)
