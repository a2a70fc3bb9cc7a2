"""Risk II through the gateway of the real stack: VNACCS reads EPE risk levels and their
explanation, the head drafts and approves next month's monitoring plan (every EPE of the unit,
slots in working hours of working days), and downloads the unit's report as XLSX; scoring
configurations and selectivity criteria pass maker-checker between the two demo heads, and a
selection run re-derives from its recorded seed."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from risk.scoring.service import (
    DEFAULT_RED_FROM,
    DEFAULT_WEIGHTS,
    DEFAULT_WINDOW_DAYS,
    DEFAULT_YELLOW_FROM,
)
from servicekit.workdays import DEFAULT_SWAPS_FILE, WorkingCalendar

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _next_month(today: date) -> str:
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"{year}-{month:02d}"


def test_levels_plan_and_report_through_the_gateway(
    stack, machine_token, officer_session, demo_epes
):
    customs = {"Authorization": f"Bearer {machine_token('customs_system')['access_token']}"}
    levels = httpx.get(f"{stack.url}/api/risk/risk-levels", headers=customs, timeout=30)
    assert levels.status_code == 200, levels.text
    for level in levels.json()["data"]:
        why = httpx.get(
            f"{stack.url}/api/risk/risk-levels/{level['epe_id']}", headers=customs, timeout=30
        )
        assert why.status_code == 200, why.text
        explained = why.json()["explanation"]
        total = sum(item["points"] for item in explained["items"])
        assert abs(total - explained["score"]) < 0.01  # the explanation adds up

    head = officer_session("head")
    month = _next_month(datetime.now(VIETNAM).date())
    drafted = httpx.post(
        f"{stack.url}/api/risk/plans", json={"month": month}, headers=head.headers(), timeout=60
    )
    assert drafted.status_code == 201, drafted.text
    plan = drafted.json()
    unit_epes = {e for e, record in demo_epes.items() if record["unit"] == plan["unit"]}
    assert unit_epes and unit_epes <= {slot["epe_id"] for slot in plan["slots"]}
    calendar = WorkingCalendar(DEFAULT_SWAPS_FILE)
    for slot in plan["slots"]:
        starts = datetime.fromisoformat(slot["starts_at"]).astimezone(VIETNAM)
        assert calendar.is_working_day(starts.date()), slot
        assert 7 <= starts.hour < 17, slot
    approved = httpx.post(
        f"{stack.url}/api/risk/plans/{plan['id']}/decision",
        json={"approve": True},
        headers=head.headers(),
        timeout=30,
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved", approved.text

    today = datetime.now(VIETNAM).date()
    report = httpx.get(
        f"{stack.url}/api/risk/reports",
        params={
            "start": today.replace(day=1).isoformat(),
            "end": today.isoformat(),
            "format": "xlsx",
        },
        headers=head.headers(),
        timeout=60,
    )
    assert report.status_code == 200, report.text
    assert report.content[:2] == b"PK"  # an XLSX (zip) file


def test_scoring_and_selectivity_pass_maker_checker_between_two_heads(stack, officer_session):
    """One head proposes, the same head may not decide, the other head approves; the approved
    criteria run with a recorded seed, and the run derives again to the same lanes."""
    head, deputy = officer_session("head"), officer_session("deputy_head")
    api = f"{stack.url}/api/risk"

    # The default weights again, as a new version: the demo levels stay what they were.
    config = {
        "window_days": DEFAULT_WINDOW_DAYS,
        "weights": {name: dict(weight) for name, weight in DEFAULT_WEIGHTS.items()},
        "yellow_from": DEFAULT_YELLOW_FROM,
        "red_from": DEFAULT_RED_FROM,
        "note": "e2e: the defaults, approved by a second head",
    }
    proposed = httpx.post(f"{api}/scoring-configs", json=config, headers=head.headers())
    assert proposed.status_code == 201, proposed.text
    config_id = proposed.json()["id"]
    own = httpx.post(f"{api}/scoring-configs/{config_id}/approve", headers=head.headers())
    assert own.status_code == 403, own.text
    approved = httpx.post(
        f"{api}/scoring-configs/{config_id}/approve", headers=deputy.headers(), timeout=60
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    assert approved.json()["decided_by"] != approved.json()["proposed_by"]

    criteria = {
        "criteria": [
            {
                "name": "open_warnings",
                "expression": "recent.open_warnings > 0",
                "lane": "yellow",
                "expected_rate": 0.2,
            }
        ],
        "random_rates": {"red": 0.05, "yellow": 0.1},
        "note": "e2e",
    }
    version = httpx.post(f"{api}/selectivity/versions", json=criteria, headers=head.headers())
    assert version.status_code == 201, version.text
    version_id = version.json()["id"]
    decide = f"{api}/selectivity/versions/{version_id}/decision"
    own = httpx.post(decide, json={"approve": True}, headers=head.headers())
    assert own.status_code == 403, own.text
    approved = httpx.post(decide, json={"approve": True}, headers=deputy.headers())
    assert approved.status_code == 200, approved.text
    current = httpx.get(f"{api}/selectivity/versions/current", headers=head.headers())
    assert current.json()["id"] == version_id

    run = httpx.post(f"{api}/selectivity/runs", headers=deputy.headers(), timeout=60)
    assert run.status_code == 201, run.text
    assert run.json()["seed"] and run.json()["selections"]
    again = httpx.get(
        f"{api}/selectivity/runs/{run.json()['id']}/rederivation", headers=head.headers()
    )
    assert again.status_code == 200, again.text
    assert again.json() == {"run_id": run.json()["id"], "matches": True, "mismatched_epes": []}
