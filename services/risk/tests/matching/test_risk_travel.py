"""Travel between the release point and the gate: too fast for the distance, or far too slow."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ..conftest import Feed
from .test_risk_gps import located  # noqa: F401  (fixture)
from .test_risk_matching import outbox, post, warnings

CAI_MEP = (10.5300, 107.0300)  # ~40 km from the gate
RULE = "release_travel_implausible"


def release(client: TestClient, headers: dict[str, str], **changes: Any) -> int:
    body: dict[str, Any] = {
        "number": "GP-1",
        "declaration_number": "305123456789",
        "epe_tax_code": "0301234567",
        "place": "Cảng Cái Mép",
        "place_latitude": CAI_MEP[0],
        "place_longitude": CAI_MEP[1],
        "released_at": "2025-01-20T08:00:00+07:00",
        "container_numbers": ["CSQU3054383"],
    }
    body.update(changes)
    response = client.post("/customs/releases", json=body, headers=headers)
    return response.status_code


def test_a_plausible_trip_raises_nothing(
    client: TestClient,
    app: FastAPI,
    located: Feed,  # noqa: F811
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    assert release(client, customs_headers) == 201  # 40 km in 55 minutes
    post(client, epe_headers)
    assert warnings(app) == []


def test_too_fast_for_the_distance_is_a_warning_that_explains_itself(
    client: TestClient,
    app: FastAPI,
    located: Feed,  # noqa: F811
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    release(client, customs_headers, released_at="2025-01-20T08:40:00+07:00")  # 15 minutes
    gate = post(client, epe_headers)
    [warning] = warnings(app)
    assert (warning.rule, warning.subject, warning.severity) == (RULE, "CSQU3054383", "medium")
    facts = warning.explanation
    assert facts["gate_event_id"] == gate["id"]
    assert facts["max_speed_kmh"] == 80 and facts["max_dwell_hours"] == 24
    [compared] = facts["compared"]
    assert (compared["kind"], compared["number"], compared["why"]) == (
        "release",
        "GP-1",
        "too_fast",
    )
    assert compared["place"] == "Cảng Cái Mép"
    assert compared["released_at"] == "2025-01-20T01:40:00+00:00"
    assert compared["elapsed_minutes"] == 15
    assert 38_000 < compared["distance_m"] < 46_000
    assert compared["least_minutes"] > 28


def test_far_too_slow_is_a_warning(
    client: TestClient,
    app: FastAPI,
    located: Feed,  # noqa: F811
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    release(client, customs_headers, released_at="2025-01-18T08:00:00+07:00")  # 49 hours
    post(client, epe_headers)
    [warning] = warnings(app)
    assert warning.rule == RULE
    assert warning.explanation["compared"][0]["why"] == "too_slow"


def test_a_release_without_a_location_or_an_unlocated_gate_raises_nothing(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    release(client, customs_headers, released_at="2025-01-20T08:40:00+07:00")
    post(client, epe_headers)  # gate-1 unlocated here
    assert warnings(app) == []


def test_the_place_coordinates_come_in_pairs_and_in_range(
    client: TestClient, customs_headers: dict[str, str], feed: Feed
) -> None:
    for changes, field in (
        ({"place_latitude": None}, "place_longitude"),
        ({"place_longitude": None}, "place_longitude"),
        ({"place_latitude": 91}, "place_latitude"),
        ({"place_longitude": 181}, "place_longitude"),
    ):
        body = {"number": "GP-9", "declaration_number": "305123456789"}
        r = client.post(
            "/customs/releases/batch",
            json={"records": [{**_release_body(), **body, **changes}]},
            headers=customs_headers,
        )
        [item] = r.json()["items"]
        assert item["outcome"] == "rejected", changes
        assert [e["field"] for e in item["errors"]] == [field], changes


def _release_body() -> dict[str, Any]:
    return {
        "number": "GP-1",
        "declaration_number": "305123456789",
        "epe_tax_code": "0301234567",
        "place": "Cảng Cái Mép",
        "place_latitude": CAI_MEP[0],
        "place_longitude": CAI_MEP[1],
        "released_at": "2025-01-20T08:00:00+07:00",
        "container_numbers": ["CSQU3054383"],
    }


def test_a_late_release_rematches_exactly_once(
    client: TestClient,
    app: FastAPI,
    located: Feed,  # noqa: F811
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    post(client, epe_headers)
    [uncleared] = warnings(app)
    assert uncleared.rule == "container_exit_uncleared"
    assert release(client, customs_headers, released_at="2025-01-20T08:40:00+07:00") == 201
    assert release(client, customs_headers, released_at="2025-01-20T08:40:00+07:00") == 200
    rules = {w.rule: w.state for w in warnings(app)}
    assert rules == {"container_exit_uncleared": "resolved", RULE: "new"}
    raised = [e["rule"] for e in outbox(app, "risk.warning.raised.v1")]
    assert raised == ["container_exit_uncleared", RULE]
