"""Indicators of an EPE from the data risk stores: each counted once, in its window."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from risk.indicators.service import INDICATORS, compute_indicators, indicators_for
from risk.plan.models import PlanSlot, SlotState
from servicekit.clock import ManualClock

from ..conftest import START, Feed, assign
from ..customs.test_risk_ingestion import declaration
from ..gate.test_risk_gate_events import read


def incident(feed: Feed, event_type: str, incident_id: str, **data: object) -> None:
    feed.handle(
        event_type,
        {
            "incident_id": incident_id,
            "epe_id": "epe-1",
            "unit": None,
            "kind": "camera_equipment",
            "camera_ids": ["gate-1"],
            **data,
        },
    )


def test_every_indicator_is_counted_from_its_records(
    app: FastAPI,
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    epe_headers: dict[str, str],
    customs_headers: dict[str, str],
) -> None:
    for number, channel, container in (
        ("305000000001", "red", "MSKU1234565"),
        ("305000000002", "green", "MSCU1234566"),
        ("305000000003", "red", "MSCU1234566"),
    ):
        body = declaration(number=number, channel=channel, container_numbers=[container])
        assert client.post("/customs/declarations", json=body, headers=customs_headers).is_success
    amended = declaration(
        number="305000000003", version=2, channel="green", container_numbers=["MSCU1234566"]
    )
    assert client.post("/customs/declarations", json=amended, headers=customs_headers).is_success
    for index in range(3):  # CSQU3054383 leaves undeclared: one warning per read
        body = read(event_id=f"r-{index}", occurred_at=f"2025-01-20T08:5{index}:00+07:00")
        assert client.post("/gate-events", json=body, headers=epe_headers).status_code == 201
    feed.outage("gate-1", "epe-1", "out-1", START - timedelta(hours=10))
    feed.back("gate-1", "epe-1", "out-1", START - timedelta(hours=10), START - timedelta(hours=4))
    feed.outage("cam-1", "epe-1", "out-2", START - timedelta(hours=2))  # still down
    incident(
        feed,
        "incidents.notice.filed.v1",
        "inc-1",
        filed_at=START.isoformat(),
        deadline_at=(START + timedelta(days=10)).isoformat(),
    )
    incident(
        feed,
        "incidents.incident.restored.v1",
        "inc-1",
        restored_at=START.isoformat(),
        promptness="early",
        deadline_at=START.isoformat(),
    )
    incident(
        feed,
        "incidents.incident.went_overdue.v1",
        "inc-0",
        deadline_date="2025-01-15",
        deadline_at=(START - timedelta(days=5)).isoformat(),
    )
    incident(
        feed,
        "incidents.extension.missed.v1",
        "inc-0",
        deadline_at=START.isoformat(),
        extension_due_at=START.isoformat(),
    )
    incident(
        feed,
        "incidents.extension.missed.v1",
        "inc-0",
        deadline_at=START.isoformat(),
        extension_due_at=START.isoformat(),
    )  # redelivered: counted once

    with Session(app.state.engine) as session:
        values = indicators_for(session, "epe-1", clock.now())
        [full] = compute_indicators(session, ["epe-1"], clock.now(), window_days=90).values()
        other = indicators_for(session, "epe-2", clock.now())
    assert set(values) == set(INDICATORS)
    assert values["gate_movements"] == 3
    assert values["warnings_raised"] == 3
    assert values["warnings_per_100_movements"] == 3.0  # divided by at least 100 movements
    assert values["required_cameras"] == 2
    assert values["blind_hours"] == 8.0  # 6 h of gate-1 and 2 h (so far) of cam-1
    assert values["camera_uptime_pct"] == round(100 * (1 - 8 / (2 * 90 * 24)), 2)
    assert (values["incidents_opened"], values["restored_early"]) == (1, 1)
    assert (values["incidents_overdue"], values["extensions_missed"]) == (1, 1)
    assert (values["declarations"], values["declarations_red"]) == (3, 1)  # v1 of 003 superseded
    assert values["red_share_pct"] == 33.33
    assert values["days_since_last_inspection"] == 90
    assert [r["id"] for r in full.records["blind_hours"]] == ["out-2", "out-1"]
    assert [r["number"] for r in full.records["declarations_red"]] == ["305000000001"]
    assert all(r["href"].startswith("/warnings/") for r in full.records["warnings_raised"])
    assert other["gate_movements"] == 0 and other["required_cameras"] == 1


def test_the_window_leaves_out_older_data(
    app: FastAPI, client: TestClient, feed: Feed, clock: ManualClock, epe_headers: dict[str, str]
) -> None:
    assert client.post("/gate-events", json=read(), headers=epe_headers).status_code == 201
    with Session(app.state.engine) as session:
        assert indicators_for(session, "epe-1", clock.now())["warnings_raised"] == 1
        later = clock.now() + timedelta(days=8)
        assert indicators_for(session, "epe-1", later, window_days=7)["warnings_raised"] == 0
        assert indicators_for(session, "epe-1", later, window_days=7)["gate_movements"] == 0


def test_officers_confirm_warnings_and_the_head_confirms_violations(
    app: FastAPI,
    client: TestClient,
    feed: Feed,
    clock: ManualClock,
    epe_headers: dict[str, str],
    officer_headers: dict[str, str],
    head_headers: dict[str, str],
) -> None:
    assign(feed, "officer-an", "epe-1")
    for index in range(3):
        body = read(event_id=f"r-{index}", occurred_at=f"2025-01-20T08:5{index}:00+07:00")
        assert client.post("/gate-events", json=body, headers=epe_headers).status_code == 201
    ids = [w["id"] for w in client.get("/warnings", headers=officer_headers).json()["data"]]
    for warning_id in ids:
        path = f"/warnings/{warning_id}"
        assert client.post(f"{path}/acknowledge", headers=officer_headers).is_success
        findings = {"findings": "Không có tờ khai"}
        assert client.post(f"{path}/analyse", json=findings, headers=officer_headers).is_success
    proposals = ({"action": "documentary_check"}, {"action": "no_action", "reason": "Xe rỗng"})
    for warning_id, proposal in zip(ids, proposals, strict=False):
        answer = client.post(
            f"/warnings/{warning_id}/propose", json=proposal, headers=officer_headers
        )
        assert answer.is_success, answer.text
    fraud = f"/warnings/{ids[2]}"
    assert client.post(
        f"{fraud}/escalate", json={"reason": "Nghi gian lận"}, headers=officer_headers
    ).is_success
    decision = {"decision": "organise_inspection", "note": "Kiểm tra thực tế"}
    assert client.post(f"{fraud}/decide", json=decision, headers=head_headers).is_success
    with Session(app.state.engine) as session:
        [found] = compute_indicators(session, ["epe-1"], clock.now(), window_days=90).values()
    assert found.values["warnings_confirmed"] == 2  # documentary check and the escalation
    assert found.values["confirmed_violations"] == 1
    assert {r["id"] for r in found.records["warnings_confirmed"]} == {ids[0], ids[2]}
    assert [r["id"] for r in found.records["confirmed_violations"]] == [ids[2]]


def test_days_since_the_last_inspection_come_from_the_plan_results(
    app: FastAPI, clock: ManualClock
) -> None:
    now = clock.now()
    with Session(app.state.engine) as session:
        for slot_id, state, days_ago in (
            ("s-done", SlotState.DONE, 12),
            ("s-findings", SlotState.FINDINGS, 30),
            ("s-missed", SlotState.NOT_DONE, 2),  # not carried out: does not count
        ):
            session.add(
                PlanSlot(
                    id=slot_id,
                    plan_id="plan-1",
                    epe_id="epe-1",
                    officer_id="officer-an",
                    starts_at=now - timedelta(days=days_ago, hours=2),
                    ends_at=now - timedelta(days=days_ago),
                    state=state,
                    recorded_by="officer-an",
                    recorded_at=now - timedelta(days=days_ago),
                )
            )
        session.commit()
        assert indicators_for(session, "epe-1", now)["days_since_last_inspection"] == 12
        earlier = now - timedelta(days=20)  # the latest known at that time
        assert indicators_for(session, "epe-1", earlier)["days_since_last_inspection"] == 10
        assert indicators_for(session, "epe-2", now)["days_since_last_inspection"] == 90
