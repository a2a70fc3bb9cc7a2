"""EPE risk levels: scores that add up, debounced rescoring, band changes, history, readers."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from devkit.testing.http import assert_problem
from risk.scoring.models import RiskScore
from risk.scoring.scheduler import score_once
from servicekit.clock import ManualClock
from servicekit.events.outbox import TABLES

from ..conftest import START, Feed, assign
from ..gate.test_risk_gate_events import read


def level_events(app: FastAPI) -> list[dict[str, Any]]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            select(TABLES.outbox.c.envelope)
            .where(TABLES.outbox.c.type == "risk.level.changed.v1")
            .order_by(TABLES.outbox.c.created_at)
        ).all()
    return [json.loads(r.envelope)["data"] for r in rows]


def settle(app: FastAPI, clock: ManualClock) -> int:
    """Run the scheduler past the debounce: the first pass starts it, the next one scores."""
    assert score_once(app) == 0
    clock.advance(timedelta(seconds=app.state.settings.score_debounce_seconds))
    return score_once(app)


def overdue(feed: Feed, incident_id: str) -> None:
    common = {"incident_id": incident_id, "epe_id": "epe-1", "unit": None, "camera_ids": []}
    deadline = (START - timedelta(days=1)).isoformat()
    feed.handle(
        "incidents.incident.went_overdue.v1",
        {
            **common,
            "kind": "camera_equipment",
            "deadline_date": "2025-01-19",
            "deadline_at": deadline,
        },
    )
    feed.handle(
        "incidents.extension.missed.v1",
        {
            **common,
            "kind": "camera_equipment",
            "deadline_at": deadline,
            "extension_due_at": deadline,
        },
    )


def test_scores_add_up_and_band_changes_are_published_once(
    app: FastAPI,
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    for index in range(3):  # three undeclared exits: three warnings
        body = read(event_id=f"r-{index}", occurred_at=f"2025-01-20T08:5{index}:00+07:00")
        assert client.post("/gate-events", json=body, headers=epe_headers).status_code == 201
    assert settle(app, clock) == 2  # epe-1 and epe-2 (the feed marked both)
    level = client.get("/risk-levels/epe-1", headers=epe_headers).json()
    items = {item["indicator"]: item for item in level["explanation"]["items"]}
    assert items["warnings_per_100_movements"]["points"] == 6.0  # 3 per 100 x weight 2
    assert items["days_since_last_inspection"]["points"] == 9.0
    assert level["score"] == 15.0 and level["band"] == "green"
    assert level["config_version"] == 0
    assert len(items["warnings_raised"]["records"]) == 3

    assert score_once(app) == 0  # nothing changed: no new score
    overdue(feed, "inc-1")
    overdue(feed, "inc-1")  # redelivered: the same incident, counted once
    assert settle(app, clock) == 1
    level = client.get("/risk-levels/epe-1", headers=epe_headers).json()
    assert (level["score"], level["band"]) == (33.0, "yellow")

    history = client.get("/risk-levels/epe-1/history", headers=epe_headers).json()["data"]
    assert [s["band"] for s in history] == ["yellow", "green"]  # newest first, nothing lost
    with Session(app.state.engine) as session:
        for score in session.exec(select(RiskScore)):
            assert round(sum(item["points"] for item in score.items), 2) == score.score
    events = [e for e in level_events(app) if e["epe_id"] == "epe-1"]
    assert [(e["from_band"], e["to_band"]) for e in events] == [
        (None, "green"),
        ("green", "yellow"),
    ]

    feed_page = client.get("/risk-levels/changes?limit=2", headers=customs_headers).json()
    assert [c["epe_id"] for c in feed_page["data"]] == ["epe-1", "epe-2"]
    rest = client.get(
        f"/risk-levels/changes?cursor={feed_page['next_cursor']}", headers=customs_headers
    ).json()
    assert [(c["from_band"], c["to_band"]) for c in rest["data"]] == [("green", "yellow")]
    assert rest["next_cursor"] is None


def test_who_reads_which_levels(
    app: FastAPI,
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    tokens: Any,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    head_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    settle(app, clock)
    assert_problem(client.get("/risk-levels/epe-2", headers=epe_headers), 404)
    assert [
        lv["epe_id"] for lv in client.get("/risk-levels", headers=epe_headers).json()["data"]
    ] == ["epe-1"]
    assert client.get("/risk-levels", headers=officer_headers).json()["data"] == []
    assert_problem(client.get("/risk-levels/epe-1", headers=officer_headers), 404)
    assign(feed, "officer-an", "epe-1")
    assert client.get("/risk-levels/epe-1", headers=officer_headers).status_code == 200
    head_sees = client.get("/risk-levels", headers=head_headers).json()["data"]
    assert [lv["epe_id"] for lv in head_sees] == ["epe-1"]  # epe-2 is another unit's
    everything = client.get("/risk-levels", headers=customs_headers).json()["data"]
    assert [lv["epe_id"] for lv in everything] == ["epe-1", "epe-2"]
    auditor = tokens.headers(subject="aud", roles=["auditor"], unit="CC-HQ-KCX-TANTHUAN")
    assert_problem(client.get("/risk-levels", headers=auditor), 403)
    assert_problem(client.get("/risk-levels/changes?cursor=bad", headers=customs_headers), 422)
