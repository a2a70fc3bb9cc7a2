"""Risk II through the gateway of the real stack: VNACCS reads EPE risk levels and their
explanation, the head drafts and approves next month's monitoring plan (every EPE of the unit,
slots in working hours of working days), and downloads the unit's report as XLSX."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx

from servicekit.workdays import WorkingCalendar

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
    calendar = WorkingCalendar()
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
