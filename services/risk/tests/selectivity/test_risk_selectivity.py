"""Selectivity: CEL criteria, maker-checker approval, hit counts, reproducible random lanes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from devkit.testing.http import assert_problem
from risk.scoring.models import RiskLevel
from risk.selectivity.models import CriteriaVersion, Lane
from risk.selectivity.service import derive_lane
from servicekit.auth import Role

from ..conftest import UNIT, Feed

CRITERIA = [
    {
        "name": "many_warnings",
        "expression": "recent.warnings_30d >= 1",
        "lane": "red",
        "expected_rate": 0.1,
    },
    {
        "name": "missing_indicator",
        "expression": "indicators.absent > 1",
        "lane": "yellow",
        "expected_rate": 0.05,
    },
]


def other_head(tokens: Any) -> dict[str, str]:
    return tokens.headers(subject="head-cuong", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=UNIT)


def approved(
    client: TestClient,
    head: dict[str, str],
    checker: dict[str, str],
    criteria: list[dict[str, Any]] = CRITERIA,
    **rates: float,
) -> str:
    body = {"criteria": criteria, "random_rates": rates or {"red": 0.0, "yellow": 0.0}}
    created = client.post("/selectivity/versions", json=body, headers=head)
    assert created.status_code == 201, created.text
    version_id = str(created.json()["id"])
    decided = client.post(
        f"/selectivity/versions/{version_id}/decision", json={"approve": True}, headers=checker
    )
    assert decided.status_code == 200, decided.text
    return version_id


def test_invalid_expressions_are_problems_naming_the_field(
    client: TestClient, head_headers: dict[str, str]
) -> None:
    for expression, message in (("1 +", "not a CEL"), ("secret > 1", "unknown variable")):
        body = {
            "criteria": [{**CRITERIA[0], "expression": expression}],
            "random_rates": {"red": 0.01},
        }
        response = client.post("/selectivity/versions", json=body, headers=head_headers)
        assert_problem(response, 422)
        error = response.json()["errors"][0]
        assert error["field"] == "body.criteria.0.expression"
        assert message in error["message"]
    too_much = {"criteria": [], "random_rates": {"red": 0.6, "yellow": 0.5}}
    response = client.post("/selectivity/versions", json=too_much, headers=head_headers)
    assert response.json()["errors"][0]["field"] == "body.random_rates"


def test_maker_checker(
    client: TestClient,
    head_headers: dict[str, str],
    officer_headers: dict[str, str],
    tokens: Any,
) -> None:
    body = {"criteria": CRITERIA, "random_rates": {"red": 0.02}}
    assert (
        client.post("/selectivity/versions", json=body, headers=officer_headers).status_code == 403
    )
    version_id = client.post("/selectivity/versions", json=body, headers=head_headers).json()["id"]
    own = client.post(
        f"/selectivity/versions/{version_id}/decision", json={"approve": True}, headers=head_headers
    )
    assert_problem(own, 403)
    assert client.get("/selectivity/versions/current", headers=head_headers).status_code == 404
    no_reason = client.post(
        f"/selectivity/versions/{version_id}/decision",
        json={"approve": False},
        headers=other_head(tokens),
    )
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    ok = client.post(
        f"/selectivity/versions/{version_id}/decision",
        json={"approve": True},
        headers=other_head(tokens),
    )
    assert ok.json()["state"] == "approved" and ok.json()["decided_by"] == "head-cuong"
    again = client.post(
        f"/selectivity/versions/{version_id}/decision",
        json={"approve": True},
        headers=other_head(tokens),
    )
    assert_problem(again, 409)
    second = approved(client, other_head(tokens), head_headers)
    versions = client.get("/selectivity/versions", headers=officer_headers).json()
    assert [(v["id"], v["state"]) for v in versions] == [
        (second, "approved"),
        (version_id, "superseded"),
    ]
    elsewhere = tokens.headers(subject="h", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit="CC-OTHER")
    assert client.get(f"/selectivity/versions/{second}", headers=elsewhere).status_code in (
        404,
        405,
    )
    assert (
        client.post(
            f"/selectivity/versions/{second}/decision", json={"approve": True}, headers=elsewhere
        ).status_code
        == 404
    )


def test_run_hits_and_counts(
    client: TestClient, feed: Feed, head_headers: dict[str, str], tokens: Any
) -> None:
    for n in range(3, 7):
        feed.epe(f"epe-{n}", tax_code=f"030000000{n}")
    quiet = {
        "name": "quiet",
        "expression": (
            "recent.open_warnings == 0 && level == null"
            " && indicators.days_since_last_inspection >= 90"
        ),
        "lane": "yellow",
        "expected_rate": 0.5,
    }
    approved(client, head_headers, other_head(tokens), [*CRITERIA, quiet])
    run = client.post("/selectivity/runs", headers=head_headers)
    assert run.status_code == 201, run.text
    selections = run.json()["selections"]
    assert [s["epe_id"] for s in selections] == ["epe-1", "epe-3", "epe-4", "epe-5", "epe-6"]
    for selection in selections:
        assert selection["lane"] == "yellow" and selection["hits"] == ["quiet"]
        assert selection["errors"] == {"missing_indicator": "evaluation failed: CELEvalError"}
        assert selection["inputs"]["recent"] == {"warnings_30d": 0, "open_warnings": 0}
    current = client.get("/selectivity/versions/current", headers=head_headers).json()
    stats = {c["name"]: c for c in current["criteria"]}
    assert stats["many_warnings"]["hit_count"] == 0
    assert stats["many_warnings"]["evaluated"] == 5
    assert stats["many_warnings"]["hit_rate"] == 0.0
    assert (stats["quiet"]["hit_count"], stats["quiet"]["hit_rate"]) == (5, 1.0)


def test_random_selection_is_reproducible_from_the_seed(
    client: TestClient, feed: Feed, head_headers: dict[str, str], tokens: Any
) -> None:
    for n in range(10, 60):
        feed.epe(f"epe-{n}", tax_code=f"03000000{n}")
    approved(client, head_headers, other_head(tokens), red=0.2, yellow=0.3)
    run = client.post("/selectivity/runs", headers=head_headers).json()
    lanes = [s["lane"] for s in run["selections"]]
    assert {"red", "yellow", "green"} <= set(lanes)  # 51 EPEs: all three lanes drawn
    for s in run["selections"]:
        expected = "red" if s["draw"] < 0.2 else "yellow" if s["draw"] < 0.5 else "green"
        assert s["lane"] == expected and s["random_lane"] == (
            None if expected == "green" else expected
        )
    audit = client.get(f"/selectivity/runs/{run['id']}/rederivation", headers=head_headers).json()
    assert audit == {"run_id": run["id"], "matches": True, "mismatched_epes": []}
    current = client.get("/selectivity/versions/current", headers=head_headers).json()
    version = CriteriaVersion(**{**current, "criteria": CRITERIA})
    for s in run["selections"]:
        lane, *_ = derive_lane(version, run["seed"], s["epe_id"], s["inputs"])
        assert lane == Lane(s["lane"])
    second = client.post("/selectivity/runs", headers=head_headers).json()
    assert second["seed"] != run["seed"]
    assert [s["draw"] for s in second["selections"]] != [s["draw"] for s in run["selections"]]
    fetched = client.get(f"/selectivity/runs/{run['id']}", headers=head_headers).json()
    assert fetched == run


def test_a_run_needs_approved_criteria_and_a_head(
    client: TestClient, feed: Feed, head_headers: dict[str, str], officer_headers: dict[str, str]
) -> None:
    assert_problem(client.post("/selectivity/runs", headers=head_headers), 409)
    assert client.post("/selectivity/runs", headers=officer_headers).status_code == 403
    epe = {"Authorization": "x"}
    assert client.get("/selectivity/versions", headers=epe).status_code == 401


def test_criteria_see_the_current_level(
    client: TestClient, app: FastAPI, feed: Feed, head_headers: dict[str, str], tokens: Any
) -> None:
    feed.epe("epe-3", tax_code="0300000003")
    now = feed.clock.now()
    with Session(app.state.engine) as session:
        session.add(
            RiskLevel(
                epe_id="epe-3",
                score_id="score-1",
                score=80,
                band="red",
                config_version=1,
                band_since=now,
                computed_at=now,
            )
        )
        session.commit()
    red_level = {
        "name": "red_level",
        "expression": 'level == "red"',
        "lane": "red",
        "expected_rate": 0.1,
    }
    approved(client, head_headers, other_head(tokens), [red_level])
    run = client.post("/selectivity/runs", headers=head_headers).json()
    lanes = {s["epe_id"]: (s["lane"], s["hits"], s["inputs"]["level"]) for s in run["selections"]}
    assert lanes == {"epe-1": ("green", [], None), "epe-3": ("red", ["red_level"], "red")}
