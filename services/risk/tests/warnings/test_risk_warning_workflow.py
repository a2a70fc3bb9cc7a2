"""The officer's workflow on warnings: who sees and acts, transitions, timeline, queue."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from devkit.testing.http import assert_problem
from servicekit.clock import ManualClock
from servicekit.events.outbox import TABLES

from ..conftest import Feed, assign
from ..customs.test_risk_ingestion import declaration
from ..gate.test_risk_gate_events import read


def raise_warning(client: TestClient, headers: dict[str, str], event_id: str = "r-1") -> None:
    """An exit of a container no declaration clears: one high warning."""
    response = client.post("/gate-events", json=read(event_id=event_id), headers=headers)
    assert response.status_code == 201, response.text


def only_warning(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    page = client.get("/warnings", headers=headers).json()
    [warning] = page["data"]
    return dict(warning)


def transitions(app: FastAPI) -> list[tuple[str, str, str]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(TABLES.outbox.c.envelope)
            .where(TABLES.outbox.c.type == "risk.warning.transitioned.v1")
            .order_by(TABLES.outbox.c.created_at)
        ).all()
    data = [json.loads(r.envelope)["data"] for r in rows]
    return [(d["action"], d["from_state"], d["to_state"]) for d in data]


def test_only_assigned_officers_see_and_act(
    client: TestClient,
    feed: Feed,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    head_headers: dict[str, str],
) -> None:
    raise_warning(client, epe_headers)
    warning = only_warning(client, head_headers)  # the head sees the unit's warnings
    path = f"/warnings/{warning['id']}"
    assert client.get("/warnings", headers=officer_headers).json()["data"] == []
    assert_problem(client.get(path, headers=officer_headers), 404)
    assert_problem(client.post(f"{path}/acknowledge", headers=officer_headers), 404)
    assign(feed, "officer-an", "epe-1")
    assert only_warning(client, officer_headers)["id"] == warning["id"]
    assign(feed, "officer-an", "epe-1", change="ended")
    assert_problem(client.get(path, headers=officer_headers), 404)


def test_other_callers_are_refused(
    client: TestClient,
    feed: Feed,
    tokens: Any,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
    head_headers: dict[str, str],
) -> None:
    raise_warning(client, epe_headers)
    warning = only_warning(client, head_headers)
    for headers in (epe_headers, customs_headers):
        assert_problem(client.get("/warnings", headers=headers), 403)
    other_head = tokens.headers(
        subject="head-khac", roles=["head_of_subdepartment"], unit="CC-HQ-KCX-LINHTRUNG"
    )
    assert client.get("/warnings", headers=other_head).json()["data"] == []
    assert_problem(client.get(f"/warnings/{warning['id']}", headers=other_head), 404)


def test_new_acknowledged_analysed_proposed_closed(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    assign(feed, "officer-an", "epe-1")
    raise_warning(client, epe_headers)
    path = f"/warnings/{only_warning(client, officer_headers)['id']}"
    analysis = {"findings": "Tờ khai chưa thông quan; đối chiếu hình ảnh camera cổng"}
    assert_problem(client.post(f"{path}/analyse", json=analysis, headers=officer_headers), 409)
    assert client.post(f"{path}/acknowledge", headers=officer_headers).json()["state"] == (
        "acknowledged"
    )
    assert_problem(client.post(f"{path}/acknowledge", headers=officer_headers), 409)
    analysed = client.post(f"{path}/analyse", json=analysis, headers=officer_headers)
    assert analysed.json()["state"] == "analysed"
    bad = assert_problem(
        client.post(f"{path}/propose", json={"action": "shrug"}, headers=officer_headers), 422
    )
    assert bad["errors"][0]["field"] == "body.action"
    no_reason = {"action": "no_action"}
    bad = assert_problem(
        client.post(f"{path}/propose", json=no_reason, headers=officer_headers), 422
    )
    assert bad["errors"][0]["field"] == "body.reason"
    proposal = {"action": "documentary_check"}
    assert (
        client.post(f"{path}/propose", json=proposal, headers=officer_headers).json()["state"]
        == "action_proposed"
    )
    closed = client.post(f"{path}/close", json={"note": "Hồ sơ khớp"}, headers=officer_headers)
    assert closed.json()["state"] == "closed"
    detail = client.get(path, headers=officer_headers).json()
    assert [(e["action"], e["actor"]) for e in detail["timeline"]] == [
        ("raised", "risk-matching"),
        ("acknowledge", "officer-an"),
        ("analyse", "officer-an"),
        ("propose", "officer-an"),
        ("close", "officer-an"),
    ]
    assert detail["timeline"][2]["details"] == analysis
    assert detail["timeline"][3]["details"] == {"action": "documentary_check", "reason": None}
    assert transitions(app) == [
        ("acknowledge", "new", "acknowledged"),
        ("analyse", "acknowledged", "analysed"),
        ("propose", "analysed", "action_proposed"),
        ("close", "action_proposed", "closed"),
    ]


def test_escalation_is_decided_by_the_head_only(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    head_headers: dict[str, str],
) -> None:
    assign(feed, "officer-an", "epe-1")
    raise_warning(client, epe_headers)
    path = f"/warnings/{only_warning(client, officer_headers)['id']}"
    client.post(f"{path}/acknowledge", headers=officer_headers)
    reason = {"reason": "Container xuất nhiều lần không có tờ khai"}
    escalated = client.post(f"{path}/escalate", json=reason, headers=officer_headers)
    assert escalated.json()["state"] == "escalated"
    back = {"decision": "return", "note": "Cần phân tích thêm"}
    assert_problem(client.post(f"{path}/decide", json=back, headers=officer_headers), 403)
    returned = client.post(f"{path}/decide", json=back, headers=head_headers)
    assert returned.json()["state"] == "analysed"
    client.post(f"{path}/escalate", json=reason, headers=officer_headers)
    inspect = {"decision": "organise_inspection"}
    assert (
        client.post(f"{path}/decide", json=inspect, headers=head_headers).json()["state"]
        == "closed"
    )
    assert [t[0] for t in transitions(app)] == [
        "acknowledge",
        "escalate",
        "decide",
        "escalate",
        "decide",
    ]


def test_late_data_leaves_a_warning_an_officer_acted_on(
    client: TestClient,
    feed: Feed,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    assign(feed, "officer-an", "epe-1")
    raise_warning(client, epe_headers)
    path = f"/warnings/{only_warning(client, officer_headers)['id']}"
    client.post(f"{path}/acknowledge", headers=officer_headers)
    client.post(f"{path}/analyse", json={"findings": "x"}, headers=officer_headers)
    client.post(f"{path}/propose", json={"action": "physical_inspection"}, headers=officer_headers)
    client.post("/customs/declarations", json=declaration(), headers=customs_headers)
    assert client.get(path, headers=officer_headers).json()["state"] == "action_proposed"


def test_the_queue_filters_pages_and_counts(
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
) -> None:
    assign(feed, "officer-an", "epe-1")
    raise_warning(client, epe_headers, "r-1")
    clock.advance(timedelta(hours=2))
    raise_warning(client, epe_headers, "r-2")
    response = client.post(
        "/gate-events",
        json=read(event_id="r-3", container_numbers=["CSQU3054384"]),
        headers=epe_headers,
    )
    assert response.status_code == 201
    first = client.get("/warnings?limit=2", headers=officer_headers).json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    second = client.get(
        f"/warnings?limit=2&cursor={first['next_cursor']}", headers=officer_headers
    ).json()
    assert len(second["data"]) == 1 and second["next_cursor"] is None
    ids = [w["id"] for w in first["data"] + second["data"]]
    assert len(set(ids)) == 3
    high = client.get("/warnings?severity=high", headers=officer_headers).json()["data"]
    assert len(high) == 2
    old = client.get("/warnings?min_age_hours=1", headers=officer_headers).json()["data"]
    assert [w["explanation"]["occurred_at"] for w in old] == ["2025-01-20T01:55:00+00:00"]
    rule = client.get("/warnings?rule=container_unreadable", headers=officer_headers).json()
    assert len(rule["data"]) == 1
    assert client.get("/warnings?epe_id=epe-2", headers=officer_headers).json()["data"] == []
    counts = client.get("/warnings/counts", headers=officer_headers).json()
    assert counts == {
        "total": 3,
        "by_state": {"new": 3},
        "by_severity": {"high": 2, "low": 1},
        "by_rule": {"container_exit_uncleared": 2, "container_unreadable": 1},
    }
    assert_problem(client.get("/warnings?cursor=garbage", headers=officer_headers), 422)
