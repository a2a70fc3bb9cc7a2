"""Reports: every total checked against the raw rows it counts, in all four formats."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from devkit.testing.http import assert_problem
from risk.indicators.models import IncidentFact
from risk.plan.models import MonitoringPlan, PlanSlot
from risk.warnings.models import RiskWarning, TimelineEntry
from servicekit.auth import Role
from servicekit.workdays import VIETNAM_TZ

from ..conftest import UNIT, Feed
from ..customs.test_risk_ingestion import declaration

PERIOD = {"start": "2025-01-01", "end": "2025-01-31"}
SINCE = datetime(2025, 1, 1, tzinfo=VIETNAM_TZ)
UNTIL = datetime(2025, 2, 1, tzinfo=VIETNAM_TZ)
TAX = {"epe-1": "0301234567", "epe-3": "0300000003", "epe-2": "0309999999"}
MINE = ("epe-1", "epe-3")
RULES = ("container_exit_uncleared", "plate_not_declared", "manual_traffic")
STATES = ("new", "acknowledged", "closed", "escalated", "resolved")


def inside(at: datetime) -> bool:
    return SINCE <= at < UNTIL


def declarations(client: TestClient, headers: dict[str, str], rng: random.Random) -> Counter[str]:
    """Declarations around the period (edges included), some amended; expected counts."""
    edges = [SINCE, UNTIL - timedelta(seconds=1), UNTIL, SINCE - timedelta(seconds=1)]
    expected: Counter[str] = Counter()
    records = []
    for n in range(60):
        epe = rng.choice(list(TAX))
        at = edges[n] if n < len(edges) else SINCE + timedelta(hours=rng.uniform(-200, 900))
        channel = rng.choice(("green", "yellow", "red"))
        number = f"30{n:010}"
        body = declaration(
            number=number,
            epe_tax_code=TAX[epe],
            channel=channel,
            registered_at=at.isoformat(),
            cleared_at=(at + timedelta(minutes=30)).isoformat(),
        )
        records.append(body)
        if n % 7 == 0:  # amended: only the current version counts, with its channel
            channel = "red" if channel != "red" else "green"
            records.append({**body, "version": 2, "channel": channel})
        if epe in MINE and inside(at):
            expected[channel] += 1
    response = client.post(
        "/customs/declarations/batch", json={"records": records}, headers=headers
    )
    assert response.status_code == 200 and response.json()["rejected"] == 0, response.text
    return expected


def stored_rows(app: FastAPI, rng: random.Random) -> dict[str, Counter[Any]]:
    """Warnings with their workflow, plan slots and incidents, written as the service would."""
    expected: dict[str, Counter[Any]] = {
        k: Counter() for k in ("warnings", "violations", "plan", "incidents")
    }
    with Session(app.state.engine) as session:
        for n in range(80):
            epe = rng.choice(list(TAX))
            raised = SINCE + timedelta(hours=rng.uniform(-100, 800))
            rule, state = rng.choice(RULES), rng.choice(STATES)
            session.add(
                RiskWarning(
                    id=f"w-{n}",
                    epe_id=epe,
                    anchor=f"a-{n}",
                    rule=rule,
                    subject="X",
                    severity="low",
                    state=state,
                    explanation={},
                    occurred_at=raised,
                    raised_at=raised,
                    updated_at=raised,
                )
            )
            if epe in MINE and inside(raised):
                expected["warnings"][(rule, state)] += 1
            step = rng.choice(
                [
                    ("propose", {"action": "documentary_check"}),
                    ("propose", {"action": "no_action"}),
                    ("escalate", {"reason": "r"}),
                    ("decide", {"decision": "organise_inspection"}),
                    ("decide", {"decision": "return"}),
                    ("acknowledge", {}),
                ]
            )
            at = raised + timedelta(hours=rng.uniform(0, 48))
            session.add(
                TimelineEntry(
                    id=f"t-{n}",
                    warning_id=f"w-{n}",
                    at=at,
                    actor="o",
                    action=step[0],
                    details=step[1],
                )
            )
            stage = {
                ("propose", "documentary_check"): "action_proposed",
                ("escalate", None): "escalated_suspected_fraud",
                ("decide", "organise_inspection"): "inspection_ordered",
            }.get((step[0], step[1].get("action") or step[1].get("decision")))
            if epe in MINE and inside(at) and stage:
                expected["violations"][stage] += 1
        now = datetime(2025, 1, 20, 2, 0, tzinfo=UTC)
        for plan_id, state in (
            ("p-ok", "approved"),
            ("p-draft", "draft"),
            ("p-returned", "returned"),
        ):
            session.add(
                MonitoringPlan(
                    id=plan_id,
                    unit=UNIT,
                    month="2025-01",
                    state=state,
                    basis={},
                    drafted_by="h",
                    drafted_at=SINCE,
                )
            )
        for n in range(50):
            plan = rng.choice(("p-ok", "p-draft", "p-returned"))
            epe = rng.choice(list(TAX))
            starts = SINCE + timedelta(hours=rng.uniform(-72, 800))
            state = rng.choice(("planned", "done", "findings", "not_done", "cancelled"))
            recorded = (
                starts + timedelta(hours=1) if state in ("done", "findings", "not_done") else None
            )
            session.add(
                PlanSlot(
                    id=f"s-{n}",
                    plan_id=plan,
                    epe_id=epe,
                    officer_id="o",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    state=state,
                    recorded_by="o" if recorded else None,
                    recorded_at=recorded,
                )
            )
            counted = plan == "p-ok" and epe in MINE
            if counted and inside(starts):
                overdue = state == "planned" and starts + timedelta(hours=2) < now
                expected["plan"]["overdue" if overdue else state] += 1
            if counted and recorded and inside(recorded) and state == "findings":
                expected["violations"]["inspection_findings"] += 1
        for n in range(30):
            epe = rng.choice(list(TAX))
            opened = SINCE + timedelta(hours=rng.uniform(-100, 800))
            kind = rng.choice(("camera_equipment", "transmission_channel"))
            promptness = rng.choice(("early", "on_time", "late_with_extension", None))
            restored = opened + timedelta(hours=5) if promptness else None
            session.add(
                IncidentFact(
                    incident_id=f"i-{n}",
                    epe_id=epe,
                    kind=kind,
                    opened_at=opened,
                    restored_at=restored,
                    promptness=promptness,
                )
            )
            if epe in MINE and inside(opened):
                expected["incidents"][(kind, promptness or "not_restored")] += 1
        session.commit()
    return expected


def test_report_totals_match_the_raw_data(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    customs_headers: dict[str, str],
    head_headers: dict[str, str],
) -> None:
    rng = random.Random(12)
    feed.epe("epe-3", tax_code=TAX["epe-3"])
    channels = declarations(client, customs_headers, rng)
    expected = stored_rows(app, rng)
    assert len(channels) == 3 and all(expected.values())  # every section has rows to count
    response = client.get("/reports", params=PERIOD, headers=head_headers)
    assert response.status_code == 200, response.text
    report = response.json()
    sections = {s["name"]: s for s in report["sections"]}

    def counts(name: str) -> dict[Any, int]:
        return {
            tuple(r["keys"]) if len(r["keys"]) > 1 else r["keys"][0]: r["count"]
            for r in sections[name]["rows"]
            if r["count"]
        }

    assert [r["keys"] for r in sections["enterprises"]["rows"]] == [
        ["epe-1", TAX["epe-1"]],
        ["epe-3", TAX["epe-3"]],
    ]
    assert counts("declarations") == dict(channels)
    assert sections["declarations"]["total"] == sum(channels.values())
    rates = {r["keys"][0]: r["rate"] for r in sections["declarations"]["rows"]}
    assert rates["red"] == round(channels["red"] / sum(channels.values()), 4)
    assert counts("warnings") == dict(expected["warnings"])
    assert counts("violations") == {k: v for k, v in expected["violations"].items() if v}
    assert counts("plan_completion") == dict(expected["plan"])
    assert counts("incidents") == dict(expected["incidents"])
    assert sum(expected["warnings"].values()) == sections["warnings"]["total"] > 0

    as_csv = client.get("/reports", params={**PERIOD, "format": "csv"}, headers=head_headers)
    assert as_csv.headers["content-type"].startswith("text/csv")
    totals = {
        r["section"]: int(r["count"])
        for r in csv.DictReader(io.StringIO(as_csv.text))
        if r["key_1"] == "total"
    }
    assert totals == {name: s["total"] for name, s in sections.items()}

    as_xlsx = client.get("/reports", params={**PERIOD, "format": "xlsx"}, headers=head_headers)
    book = load_workbook(io.BytesIO(as_xlsx.content))
    sheet = book["declarations"]
    total_row = [c.value for c in sheet[sheet.max_row]]
    assert total_row[:2] == ["total", sections["declarations"]["total"]]
    assert book["report"]["B1"].value == UNIT

    as_pdf = client.get("/reports", params={**PERIOD, "format": "pdf"}, headers=head_headers)
    assert as_pdf.headers["content-type"] == "application/pdf"
    assert as_pdf.content.startswith(b"%PDF") and b"BeVietnamPro" in as_pdf.content


def test_report_inputs_and_callers(
    client: TestClient, tokens: Any, head_headers: dict[str, str], epe_headers: dict[str, str]
) -> None:
    backwards = client.get(
        "/reports", params={"start": "2025-02-01", "end": "2025-01-01"}, headers=head_headers
    )
    assert_problem(backwards, 422)
    assert backwards.json()["errors"][0]["field"] == "end"
    too_long = client.get(
        "/reports", params={"start": "2024-01-01", "end": "2025-01-01"}, headers=head_headers
    )
    assert too_long.json()["errors"][0]["field"] == "end"
    bad = client.get("/reports", params={**PERIOD, "format": "doc"}, headers=head_headers)
    assert_problem(bad, 422)
    assert client.get("/reports", params=PERIOD, headers=epe_headers).status_code == 403
    unitless = tokens.headers(subject="x", roles=[Role.HEAD_OF_SUBDEPARTMENT], unit=None)
    assert client.get("/reports", params=PERIOD, headers=unitless).status_code == 403
