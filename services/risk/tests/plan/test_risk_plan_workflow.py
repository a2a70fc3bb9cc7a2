"""The monthly plan through the API: draft, return, approve, amendments, results, overdue."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from devkit.testing.http import assert_problem
from devkit.testing.registry import outbox
from risk.scoring.models import RiskLevel
from servicekit.auth import Role
from servicekit.clock import ManualClock
from servicekit.workdays import VIETNAM_TZ, WorkingCalendar

from ..conftest import UNIT, Feed, assign

MONTH = "2026-02"  # Tet: 16-20 February 2026 are holidays
WINDOWS = {("07:30", "09:30"), ("09:30", "11:30"), ("13:00", "15:00"), ("15:00", "17:00")}


def officer(tokens: Any, subject: str) -> dict[str, str]:
    return tokens.headers(subject=subject, roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)


def local(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(VIETNAM_TZ)


def setup_unit(feed: Feed, clock: ManualClock) -> None:
    clock.set(datetime(2026, 1, 26, 2, 0, tzinfo=UTC))
    feed.epe("epe-1", tax_code="0301234567")
    feed.epe("epe-3", tax_code="0300000003")
    feed.epe("epe-4", tax_code="0300000004")  # nobody assigned
    feed.epe("epe-2", tax_code="0309999999", unit="CC-ELSEWHERE")
    assign(feed, "officer-an", "epe-1")
    assign(feed, "officer-an", "epe-3")
    assign(feed, "officer-chi", "epe-3")


def draft(client: TestClient, head: dict[str, str]) -> dict[str, Any]:
    response = client.post("/plans", json={"month": MONTH}, headers=head)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_draft_covers_every_epe_in_working_hours_of_a_tet_month(
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    head_headers: dict[str, str],
    tokens: Any,
) -> None:
    setup_unit(feed, clock)
    assert (
        client.post(
            "/plans", json={"month": MONTH}, headers=officer(tokens, "officer-an")
        ).status_code
        == 403
    )
    bad = client.post("/plans", json={"month": "2026-13"}, headers=head_headers)
    assert_problem(bad, 422)
    assert bad.json()["errors"][0]["field"] == "body.month"
    plan = draft(client, head_headers)
    assert plan["state"] == "draft" and plan["month"] == MONTH
    assert Counter(s["epe_id"] for s in plan["slots"]) == {"epe-1": 1, "epe-3": 1, "epe-4": 1}
    calendar = WorkingCalendar()
    for slot in plan["slots"]:
        start, end = local(slot["starts_at"]), local(slot["ends_at"])
        assert start.strftime("%Y-%m") == MONTH and calendar.is_working_day(start.date())
        assert not 16 <= start.day <= 20
        assert (start.strftime("%H:%M"), end.strftime("%H:%M")) in WINDOWS
    by_epe = {s["epe_id"]: s["officer_id"] for s in plan["slots"]}
    assert by_epe["epe-1"] == "officer-an" and by_epe["epe-4"] is None
    assert by_epe["epe-3"] == "officer-chi"  # officer-an already has epe-1: balanced
    assert plan["basis"]["unassigned_epes"] == ["epe-4"]
    assert len(plan["basis"]["working_days"]) == 15
    assert_problem(client.post("/plans", json={"month": MONTH}, headers=head_headers), 409)


def test_selected_epes_are_inspected_more_often(
    client: TestClient, feed: Feed, clock: ManualClock, head_headers: dict[str, str], tokens: Any
) -> None:
    setup_unit(feed, clock)
    checker = tokens.headers(subject="head-cuong", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=UNIT)
    version = client.post(
        "/selectivity/versions",
        json={"criteria": [], "random_rates": {"red": 1.0}},
        headers=head_headers,
    ).json()
    client.post(
        f"/selectivity/versions/{version['id']}/decision", json={"approve": True}, headers=checker
    )
    run = client.post("/selectivity/runs", headers=head_headers).json()
    assert {s["lane"] for s in run["selections"]} == {"red"}
    plan = draft(client, head_headers)
    assert Counter(s["epe_id"] for s in plan["slots"]) == {"epe-1": 4, "epe-3": 4, "epe-4": 4}
    assert plan["basis"]["lanes"] == {"epe-1": "red", "epe-3": "red", "epe-4": "red"}
    assert plan["selection_run_id"] == run["id"]


def test_higher_levels_are_inspected_more_often(
    client: TestClient, app: FastAPI, feed: Feed, clock: ManualClock, head_headers: dict[str, str]
) -> None:
    setup_unit(feed, clock)
    with Session(app.state.engine) as session:
        for epe_id, band in (("epe-1", "red"), ("epe-3", "yellow")):
            session.add(
                RiskLevel(
                    epe_id=epe_id,
                    score_id=f"score-{epe_id}",
                    score=50,
                    band=band,
                    config_version=1,
                    band_since=clock.now(),
                    computed_at=clock.now(),
                )
            )
        session.commit()
    plan = draft(client, head_headers)
    assert Counter(s["epe_id"] for s in plan["slots"]) == {"epe-1": 4, "epe-3": 2, "epe-4": 1}
    assert plan["basis"]["levels"] == {"epe-1": "red", "epe-3": "yellow"}
    assert plan["selection_run_id"] is None


def test_approval_amendments_results_and_overdue(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    head_headers: dict[str, str],
    tokens: Any,
) -> None:
    setup_unit(feed, clock)
    an, chi = officer(tokens, "officer-an"), officer(tokens, "officer-chi")
    first = draft(client, head_headers)
    decide = f"/plans/{first['id']}/decision"
    assert client.post(decide, json={"approve": False}, headers=an).status_code == 403
    no_reason = client.post(decide, json={"approve": False}, headers=head_headers)
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    returned = client.post(
        decide, json={"approve": False, "reason": "Thiếu ca chiều"}, headers=head_headers
    )
    assert returned.json()["state"] == "returned"
    assert returned.json()["return_reason"] == "Thiếu ca chiều"
    plan = draft(client, head_headers)
    slot_of = {s["epe_id"]: s for s in plan["slots"]}
    result_url = f"/plans/{plan['id']}/slots/{slot_of['epe-1']['id']}/result"
    assert_problem(client.post(result_url, json={"outcome": "done"}, headers=an), 409)  # a draft
    amend_url = f"/plans/{plan['id']}/amendments"
    early = {"kind": "cancel", "slot_id": slot_of["epe-4"]["id"], "reason": "x"}
    assert_problem(client.post(amend_url, json=early, headers=head_headers), 409)
    approved = client.post(
        f"/plans/{plan['id']}/decision", json={"approve": True}, headers=head_headers
    )
    assert approved.json()["state"] == "approved"

    def amend(body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = client.post(amend_url, json=body, headers=head_headers)
        assert response.status_code == status, response.text
        return dict(response.json())

    epe3 = slot_of["epe-3"]["id"]
    tet = {"kind": "move", "slot_id": epe3, "starts_at": "2026-02-17T07:30:00+07:00", "reason": "r"}
    assert amend(tet, 422)["errors"][0]["field"] == "body.starts_at"
    odd = {**tet, "starts_at": "2026-02-23T08:00:00+07:00"}
    assert amend(odd, 422)["errors"][0]["field"] == "body.starts_at"
    moved = amend({**tet, "starts_at": "2026-02-23T09:30:00+07:00", "reason": "Lịch họp"})
    assert local(moved["before"]["starts_at"]) == local(slot_of["epe-3"]["starts_at"])
    assert local(moved["after"]["starts_at"]).strftime("%d %H:%M") == "23 09:30"
    assert local(moved["after"]["ends_at"]).strftime("%H:%M") == "11:30"
    stranger = {"kind": "reassign", "slot_id": epe3, "officer_id": "officer-x", "reason": "r"}
    assert amend(stranger, 422)["errors"][0]["field"] == "body.officer_id"
    reassigned = amend({**stranger, "officer_id": "officer-an"})
    assert reassigned["after"]["officer_id"] == "officer-an"
    elsewhere = {
        "kind": "add",
        "epe_id": "epe-2",
        "starts_at": "2026-02-24T13:00:00+07:00",
        "reason": "r",
    }
    assert amend(elsewhere, 422)["errors"][0]["field"] == "body.epe_id"
    added = amend({**elsewhere, "epe_id": "epe-4", "officer_id": None})
    assert added["before"] is None and added["after"]["epe_id"] == "epe-4"
    cancelled = amend({"kind": "cancel", "slot_id": slot_of["epe-4"]["id"], "reason": "Trùng"})
    assert cancelled["after"]["state"] == "cancelled"
    assert amend({"kind": "cancel", "slot_id": slot_of["epe-4"]["id"], "reason": "x"}, 409)
    history = client.get(amend_url, headers=an).json()
    assert [a["kind"] for a in history] == ["move", "reassign", "add", "cancel"]

    clock.set(datetime.fromisoformat(slot_of["epe-1"]["starts_at"]) + timedelta(minutes=30))
    assert client.post(result_url, json={"outcome": "done"}, headers=chi).status_code == 403
    missing = client.post(result_url, json={"outcome": "not_done"}, headers=an)
    assert missing.json()["errors"][0]["field"] == "body.note"
    done = client.post(
        result_url, json={"outcome": "findings", "note": "Camera cổng lệch góc"}, headers=an
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "findings" and done.json()["recorded_by"] == "officer-an"
    assert_problem(client.post(result_url, json={"outcome": "done"}, headers=an), 409)
    events = outbox(app, "risk.inspection.recorded.v1")
    assert [(e["data"]["epe_id"], e["data"]["outcome"]) for e in events] == [("epe-1", "findings")]
    assert events[0]["data"]["unit"] == UNIT

    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    after = client.get(f"/plans/{plan['id']}", headers=an).json()
    planned = [s for s in after["slots"] if s["state"] == "planned"]
    assert after["overdue_count"] == len(planned) == 2 and all(s["overdue"] for s in planned)
    mine = client.get(f"/plans/{plan['id']}?mine=true", headers=chi).json()
    assert mine["slots"] == []
    listed = client.get(f"/plans?month={MONTH}", headers=an).json()
    assert [(p["id"], p["state"]) for p in listed] == [
        (plan["id"], "approved"),
        (first["id"], "returned"),
    ]
    other = tokens.headers(subject="h", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit="CC-ELSEWHERE")
    assert client.get(f"/plans/{plan['id']}", headers=other).status_code == 404
