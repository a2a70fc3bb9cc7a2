"""Scoring configurations: one head proposes, another approves; scores record the version."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from devkit.testing.http import assert_problem
from servicekit.clock import ManualClock

from ..conftest import UNIT, Feed
from .test_risk_scoring import settle

PROPOSAL: dict[str, Any] = {
    "window_days": 30,
    "weights": {"days_since_last_inspection": {"weight": 1, "cap": 30}},
    "yellow_from": 10,
    "red_from": 25,
    "note": "Kiểm tra định kỳ là trọng tâm tháng này",
}


def test_a_head_cannot_approve_their_own_proposal(
    app: FastAPI,
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    tokens: Any,
    head_headers: dict[str, str],
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
) -> None:
    other_head = tokens.headers(subject="head-chi", roles=["head_of_subdepartment"], unit=UNIT)
    assert_problem(client.post("/scoring-configs", json=PROPOSAL, headers=officer_headers), 403)
    assert_problem(client.post("/scoring-configs", json=PROPOSAL, headers=epe_headers), 403)
    created = client.post("/scoring-configs", json=PROPOSAL, headers=head_headers)
    assert created.status_code == 201, created.text
    config = created.json()
    assert (config["version"], config["state"], config["proposed_by"]) == (
        1,
        "pending",
        "head-binh",
    )
    path = f"/scoring-configs/{config['id']}"
    assert_problem(client.post(f"{path}/approve", headers=head_headers), 403)
    settle(app, clock)
    level = client.get("/risk-levels/epe-1", headers=head_headers).json()
    assert (level["config_version"], level["band"]) == (0, "green")  # pending: not used

    approved = client.post(f"{path}/approve", headers=other_head)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["decided_by"]) == ("approved", "head-chi")
    assert_problem(client.post(f"{path}/approve", headers=other_head), 409)
    assert_problem(client.post(f"{path}/reject", json={"reason": "x"}, headers=other_head), 409)
    assert settle(app, clock) == 1  # the unit's EPE is rescored with the new version
    level = client.get("/risk-levels/epe-1", headers=head_headers).json()
    assert (level["config_version"], level["score"], level["band"]) == (1, 30.0, "red")
    assert level["explanation"]["window_days"] == 30
    other_unit = client.get("/risk-levels", headers=head_headers).json()["data"]
    assert [lv["epe_id"] for lv in other_unit] == ["epe-1"]

    second = client.post("/scoring-configs", json=PROPOSAL, headers=other_head).json()
    rejected = client.post(
        f"/scoring-configs/{second['id']}/reject",
        json={"reason": "Ngưỡng quá thấp"},
        headers=head_headers,
    )
    assert rejected.json()["state"] == "rejected" and second["version"] == 2
    listed = client.get("/scoring-configs", headers=officer_headers).json()["data"]
    assert [(c["version"], c["state"]) for c in listed] == [(2, "rejected"), (1, "approved")]


def test_a_proposal_names_known_indicators_and_ordered_bands(
    client: TestClient, head_headers: dict[str, str], tokens: Any
) -> None:
    unknown = {**PROPOSAL, "weights": {"bribes_paid": {"weight": 1}}}
    problem = assert_problem(
        client.post("/scoring-configs", json=unknown, headers=head_headers), 422
    )
    assert [e["field"] for e in problem["errors"]] == ["body.weights"]
    assert "bribes_paid" in problem["errors"][0]["message"]
    upside_down = {**PROPOSAL, "yellow_from": 30, "red_from": 20}
    assert_problem(client.post("/scoring-configs", json=upside_down, headers=head_headers), 422)
    extra = {**PROPOSAL, "approved_by": "head-binh"}
    assert_problem(client.post("/scoring-configs", json=extra, headers=head_headers), 422)
    other_unit_head = tokens.headers(
        subject="head-khac", roles=["head_of_subdepartment"], unit="CC-HQ-KCX-LINHTRUNG"
    )
    config = client.post("/scoring-configs", json=PROPOSAL, headers=head_headers).json()
    path = f"/scoring-configs/{config['id']}"
    assert_problem(client.post(f"{path}/approve", headers=other_unit_head), 404)
