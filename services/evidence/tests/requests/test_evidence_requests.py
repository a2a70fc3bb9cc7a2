"""Requests for camera data: who may make and see them, what is refused, the due date."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from servicekit.auth import Role
from servicekit.events.outbox import TABLES

from ..conftest import OTHER_UNIT, UNIT, Feed

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-1", "cam-2", "cam-1"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu container xuất cổng ngày 18/01",
    "warning_ids": ["w-1"],
}


def _events(app: FastAPI, event_type: str) -> list[dict[str, Any]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(TABLES.outbox.c.envelope).where(TABLES.outbox.c.type == event_type)
        )
        return [json.loads(r[0])["data"] for r in rows]


def test_an_assigned_officer_requests_and_the_vendor_sees_it_open(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
) -> None:
    made = client.post("/requests", json=BODY, headers=officer_headers)
    assert made.status_code == 201, made.text
    request = made.json()
    assert request["state"] == "requested"
    assert request["cameras"] == ["cam-1", "cam-2"]
    assert request["unit"] == UNIT
    assert request["requested_by"] == "officer-an"
    # the default 5 working days from Monday 20 January 2025 skip the Tet days off (27-31
    # January): the last is Monday 3 February, due at 24:00 Vietnam time
    assert request["due_working_days"] == 5
    assert request["due_at"] == "2025-02-03T17:00:00Z"
    created = _events(app, "evidence.request.created.v1")
    assert [e["request_id"] for e in created] == [request["id"]]
    assert "reason" not in created[0]

    listed = client.get("/requests", params={"open": "true"}, headers=epe_headers).json()
    assert [r["id"] for r in listed["data"]] == [request["id"]]
    one = client.get(f"/requests/{request['id']}", headers=epe_headers)
    assert one.status_code == 200


def test_due_date_counts_working_days_as_asked(
    client: TestClient, feed: Feed, head_headers: dict[str, str]
) -> None:
    """4 working days from Monday 20 January 2025 end on Friday 24th; 6 skip the weekend and
    Tet to Tuesday 4 February."""
    for days, due in ((4, "2025-01-24T17:00:00Z"), (6, "2025-02-04T17:00:00Z")):
        made = client.post(
            "/requests", json={**BODY, "due_working_days": days}, headers=head_headers
        )
        assert made.status_code == 201, made.text
        assert made.json()["due_at"] == due


def test_refusals_name_the_field(
    client: TestClient, feed: Feed, officer_headers: dict[str, str]
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({**BODY, "cameras": ["cam-1", "cam-9"]}, "body.cameras"),
        (
            {
                **BODY,
                "time_ranges": [{"start": "2025-01-21T00:00:00Z", "end": "2025-01-22T00:00:00Z"}],
            },
            "body.time_ranges[0].start",
        ),
        ({**BODY, "surprise": 1}, "body.surprise"),
        ({**BODY, "due_working_days": 0}, "body.due_working_days"),
    ]
    for body, field in cases:
        answer = client.post("/requests", json=body, headers=officer_headers)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    backwards = {
        **BODY,
        "time_ranges": [{"start": "2025-01-18T03:00:00Z", "end": "2025-01-18T01:00:00Z"}],
    }
    assert client.post("/requests", json=backwards, headers=officer_headers).status_code == 422
    assert client.get("/requests", headers=officer_headers).json()["data"] == []


@pytest.mark.parametrize(
    ("subject", "roles", "unit", "epe_id", "status"),
    [
        ("officer-chi", [Role.SUPERVISORY_OFFICER], UNIT, None, 403),  # not assigned
        ("officer-an", [Role.SUPERVISORY_OFFICER], OTHER_UNIT, None, 403),  # other unit
        ("auditor-dung", [Role.AUDITOR], UNIT, None, 403),
        ("vendor-epe-1", [Role.EPE_CLIENT], None, "epe-1", 403),
        ("admin", [Role.USER_ADMINISTRATOR], UNIT, None, 403),
    ],
)
def test_only_assigned_officers_and_heads_request(
    client: TestClient,
    feed: Feed,
    tokens: Any,
    subject: str,
    roles: list[Role],
    unit: str | None,
    epe_id: str | None,
    status: int,
) -> None:
    headers = tokens.headers(subject=subject, roles=roles, unit=unit, epe_id=epe_id)
    assert client.post("/requests", json=BODY, headers=headers).status_code == status


def test_who_sees_a_request(
    client: TestClient, feed: Feed, tokens: Any, officer_headers: dict[str, str]
) -> None:
    request_id = client.post("/requests", json=BODY, headers=officer_headers).json()["id"]
    seeing = {
        "head": tokens.headers(subject="head-binh", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=UNIT),
        "auditor": tokens.headers(subject="aud", roles=[Role.AUDITOR], unit=UNIT),
        "vendor": tokens.headers(subject="v1", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-1"),
    }
    blind = {
        "unassigned officer": tokens.headers(
            subject="officer-chi", roles=[Role.SUPERVISORY_OFFICER], unit=UNIT
        ),
        "other unit's head": tokens.headers(
            subject="head-x", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=OTHER_UNIT
        ),
        "other vendor": tokens.headers(
            subject="v2", roles=[Role.EPE_CLIENT], unit=None, epe_id="epe-2"
        ),
    }
    for name, headers in seeing.items():
        assert client.get(f"/requests/{request_id}", headers=headers).status_code == 200, name
        assert len(client.get("/requests", headers=headers).json()["data"]) == 1, name
    for name, headers in blind.items():
        assert client.get(f"/requests/{request_id}", headers=headers).status_code == 404, name
        assert client.get("/requests", headers=headers).json()["data"] == [], name
    feed.assign("officer-an", "epe-1", change="ended")
    assert client.get(f"/requests/{request_id}", headers=officer_headers).status_code == 404


def test_cancel_with_reason_once(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
) -> None:
    request_id = client.post("/requests", json=BODY, headers=officer_headers).json()["id"]
    path = f"/requests/{request_id}/cancel"
    assert client.post(path, json={"reason": "x"}, headers=epe_headers).status_code == 403
    assert client.post(path, json={}, headers=officer_headers).status_code == 422
    done = client.post(path, json={"reason": "Đã có dữ liệu"}, headers=officer_headers)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "cancelled"
    assert done.json()["cancel_reason"] == "Đã có dữ liệu"
    again = client.post(path, json={"reason": "again"}, headers=officer_headers)
    assert again.status_code == 409
    assert len(_events(app, "evidence.request.cancelled.v1")) == 1
    assert (
        client.get("/requests", params={"open": "true"}, headers=epe_headers).json()["data"] == []
    )
    listed = client.get("/requests", params={"state": "cancelled"}, headers=epe_headers).json()
    assert [r["id"] for r in listed["data"]] == [request_id]


def test_pages_in_request_order(
    client: TestClient, feed: Feed, officer_headers: dict[str, str]
) -> None:
    ids = [
        client.post("/requests", json=BODY, headers=officer_headers).json()["id"] for _ in range(3)
    ]
    first = client.get("/requests", params={"limit": 2}, headers=officer_headers).json()
    rest = client.get(
        "/requests", params={"limit": 2, "cursor": first["next_cursor"]}, headers=officer_headers
    ).json()
    assert [r["id"] for r in first["data"] + rest["data"]] == ids
    assert rest["next_cursor"] is None
