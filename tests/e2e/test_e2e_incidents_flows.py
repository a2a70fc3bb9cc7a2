"""Issue 5 through the gateway of a real stack: a camera fault travels from the registry to
the incidents service as an event and back out to the EPE and the officer over REST.

The vendor declares a gate camera that must be online and reports `no_signal`; after the
registry's fault grace (3 s in the e2e stack, see conftest.py) the registry marks it offline
and publishes `registry.camera.went_offline.v1`; the incidents service opens a detected
incident; the vendor sees it and files the Appendix II notice (a retry with the same
`Idempotency-Key` returns the same notice); the officer prints the PDF, records the plan and
the day's follow-up; the vendor logs a truck at the gate by hand (ISO 6346 containers, a wrong
check digit refused); the camera reports again, the vendor reports the restoration and the
officer closes the incident; the EPE's promptness shows it. Then the working-day calendar.

Asynchronous effects are polled with deadlines; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import io
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pypdf import PdfReader

from devkit.testing.http import assert_problem, bearer, poll

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# A container number with a correct ISO 6346 check digit (3), and the same with a wrong one.
CONTAINER = "CSQU3054383"
CONTAINER_WRONG_DIGIT = "CSQU3054384"


class Api:
    """One caller's view of the gateway: `registry` and `incidents` clients with its token."""

    def __init__(self, base: str, headers: Callable[[], dict[str, str]]) -> None:
        self._headers = headers
        self.registry = httpx.Client(base_url=f"{base}/api/registry", timeout=30)
        self.incidents = httpx.Client(base_url=f"{base}/api/incidents", timeout=30)
        for client in (self.registry, self.incidents):
            client.event_hooks["request"] = [self._authorize]

    def _authorize(self, request: httpx.Request) -> None:
        request.headers.update(self._headers())

    def close(self) -> None:
        self.registry.close()
        self.incidents.close()


@pytest.fixture(scope="module")
def vendor(stack, machine_token) -> Iterator[Api]:
    """The vendor of the second demo EPE (the registry flows use the first one's)."""
    token = machine_token("epe_vendor_2")
    api = Api(stack.url, lambda: bearer(token))
    yield api
    api.close()


@pytest.fixture(scope="module")
def other_vendor(stack, machine_token) -> Iterator[Api]:
    token = machine_token("epe_vendor_1")
    api = Api(stack.url, lambda: bearer(token))
    yield api
    api.close()


@pytest.fixture(scope="module")
def customs(stack, machine_token) -> Iterator[Api]:
    token = machine_token("customs_system")
    api = Api(stack.url, lambda: bearer(token))
    yield api
    api.close()


@pytest.fixture(scope="module")
def officer(stack, officer_session) -> Iterator[Api]:
    signed_in = officer_session("officer")
    api = Api(stack.url, signed_in.headers)
    yield api
    api.close()


def _camera(api: Api, epe: str, camera_id: str) -> dict[str, Any]:
    response = api.registry.get(f"/epes/{epe}/cameras/{camera_id}")
    assert response.status_code == 200, response.text
    camera: dict[str, Any] = response.json()
    return camera


def _heartbeat(api: Api, epe: str, number: str, status: str) -> None:
    response = api.registry.post(
        f"/epes/{epe}/heartbeats", json={"cameras": [{"camera": number, "status": status}]}
    )
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1, response.json()


def _incident_of_camera(api: Api, epe: str, camera_id: str) -> dict[str, Any] | None:
    response = api.incidents.get("/incidents", params={"epe_id": epe, "limit": 100})
    assert response.status_code == 200, response.text
    for incident in response.json()["data"]:
        if camera_id in incident["camera_ids"] and incident["state"] != "closed":
            found: dict[str, Any] = incident
            return found
    return None


def _timeline_actions(api: Api, incident_id: str) -> list[str]:
    response = api.incidents.get(f"/incidents/{incident_id}/timeline", params={"limit": 200})
    assert response.status_code == 200, response.text
    return [entry["action"] for entry in response.json()["data"]]


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def test_a_gate_camera_fault_becomes_an_incident_followed_to_closure(
    account, demo_epes, vendor, other_vendor, officer, customs
):
    epe = account("epe_vendor_2")["epe_id"]
    suffix = uuid.uuid4().hex[:6].upper()

    # The vendor declares a gate and a camera there that must be online.
    area = vendor.registry.post(
        f"/epes/{epe}/areas",
        json={"code": f"GI-{suffix}", "name": f"Cổng xuất hàng {suffix}", "kind": "epe_gate"},
    )
    assert area.status_code == 201, area.text
    number = f"INC-{suffix}"
    created = vendor.registry.post(
        f"/epes/{epe}/cameras",
        json={
            "number": number,
            "position_kind": "epe_gate",
            "area_id": area.json()["id"],
            "vendor": "Dahua",
            "model": "IPC-HFW5442E",
            "capabilities": {"reads_plates": True, "reads_container_numbers": True},
        },
    )
    assert created.status_code == 201, created.text
    camera_id = created.json()["id"]
    assert created.json()["must_be_online"] is True

    # It works, then reports no signal: offline once the fault outlasts the grace.
    _heartbeat(vendor, epe, number, "ok")
    poll("the camera online", lambda: _camera(vendor, epe, camera_id)["state"] == "online")
    fault_reported = datetime.now(UTC)
    _heartbeat(vendor, epe, number, "no_signal")
    poll("the camera offline", lambda: _camera(vendor, epe, camera_id)["state"] == "offline")
    outages = vendor.registry.get(
        f"/epes/{epe}/outages", params={"camera_id": camera_id, "open": "true"}
    )
    assert outages.status_code == 200, outages.text
    [outage] = outages.json()["data"]
    assert outage["cause"] == "no_signal"
    assert outage["planned"] is False
    started = datetime.fromisoformat(outage["started_at"])
    assert abs((started - fault_reported).total_seconds()) < 5, "from the first fault report"

    # registry.camera.went_offline.v1 -> a detected incident the vendor sees.
    detected = poll(
        "a detected incident for the camera",
        lambda: _incident_of_camera(vendor, epe, camera_id),
    )
    assert detected["state"] == "detected"
    assert detected["detected"] is True
    assert detected["kind"] == "camera_equipment"
    assert detected["notice_id"] is None
    assert detected["deadline_working_days"] == 10
    # The deadline runs from the outage's start (an earlier detected incident of the EPE
    # that is still waiting for its notice would take the camera in, and keep its own start).
    opened_at = datetime.fromisoformat(detected["opened_at"])
    if detected["camera_ids"] == [camera_id]:
        assert opened_at == started
    else:
        assert opened_at <= started
    incident_id = detected["id"]
    assert _timeline_actions(vendor, incident_id)[0] == "detected"

    # Another EPE's vendor does not even learn that it exists.
    assert_problem(other_vendor.incidents.get(f"/incidents/{incident_id}"), 404)
    others = other_vendor.incidents.get("/incidents", params={"limit": 100})
    assert incident_id not in {i["id"] for i in others.json()["data"]}

    # The vendor files the Appendix II notice; a retry with the same key files nothing new.
    key = str(uuid.uuid4())
    notice = {
        "epe_id": epe,
        "kind": "camera_equipment",
        "camera_ids": [camera_id],
        "description": f"Camera số {number} tại cổng xuất hàng mất tín hiệu do hỏng bộ nguồn PoE",
        "effects": "Không quan sát được phương tiện ra vào cổng xuất hàng",
        "estimated_restoration_at": (datetime.now(VIETNAM) + timedelta(days=2)).isoformat(),
        "technician": {"name": "Nguyễn Văn Hùng", "phone": "+84 912 345 678"},
        "document_number": f"{suffix}/TB-E2E",
        "place": "Bắc Ninh",
        "signatory_name": "Trần Thị Mai",
    }
    filed = vendor.incidents.post("/notices", json=notice, headers={"Idempotency-Key": key})
    assert filed.status_code == 201, filed.text
    assert filed.headers["etag"] == '"r1"'
    assert filed.json()["incident_id"] == incident_id, "linked to the detected incident"
    notice_id = filed.json()["id"]
    retried = vendor.incidents.post("/notices", json=notice, headers={"Idempotency-Key": key})
    assert retried.status_code == 201, retried.text
    assert retried.headers.get("idempotent-replayed") == "true"
    assert retried.json()["id"] == notice_id
    assert retried.json()["incident_id"] == incident_id
    changed = vendor.incidents.post(
        "/notices", json={**notice, "effects": "Khác"}, headers={"Idempotency-Key": key}
    )
    assert_problem(changed, 422)
    no_key = vendor.incidents.post("/notices", json=notice)
    problem = assert_problem(no_key, 422)
    assert any(e["field"] == "header.Idempotency-Key" for e in problem["errors"]), problem
    notified = vendor.incidents.get(f"/incidents/{incident_id}")
    assert notified.json()["state"] == "notified"
    assert notified.json()["notice_id"] == notice_id
    assert notified.json()["deadline_at"] == detected["deadline_at"], "still from detection"
    assert _timeline_actions(vendor, incident_id).count("notice_filed") == 1

    # The officer of the unit sees the incident and prints the notice.
    seen = officer.incidents.get(f"/incidents/{incident_id}")
    assert seen.status_code == 200, seen.text
    etag = seen.headers["etag"]
    pdf = officer.incidents.get(f"/notices/{notice_id}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content)
    for label in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Thời gian dự kiến khắc phục",
        "Thông tin liên hệ của cán bộ kỹ thuật doanh nghiệp",
        "NGƯỜI ĐẠI DIỆN THEO PHÁP LUẬT",
        "Nguyễn Văn Hùng",
    ):
        assert label in text, f"{label!r} not in the PDF text: {text[:2000]}"
    # Field 1 comes from the registry: the enterprise's name and tax code.
    assert demo_epes[epe]["tax_code"] in text
    assert unicodedata.normalize("NFC", demo_epes[epe]["name"]) in text

    # The surveillance plan and the day's follow-up.
    plan = officer.incidents.post(
        f"/incidents/{incident_id}/plan",
        json={"plan": "Công chức giám sát trực tiếp tại cổng; doanh nghiệp ghi sổ xe ra vào"},
        headers={"If-Match": etag},
    )
    assert plan.status_code == 200, plan.text
    assert plan.json()["state"] == "plan_agreed"
    stale = officer.incidents.post(
        f"/incidents/{incident_id}/plan", json={"plan": "again"}, headers={"If-Match": etag}
    )
    assert_problem(stale, 412)
    today = datetime.now(VIETNAM).date()
    follow_up = officer.incidents.post(
        f"/incidents/{incident_id}/follow-ups",
        json={"note": "Đã kiểm tra: doanh nghiệp đang chờ bộ nguồn thay thế"},
    )
    assert follow_up.status_code == 201, follow_up.text
    recorded_on = date.fromisoformat(follow_up.json()["day"])
    assert today <= recorded_on <= datetime.now(VIETNAM).date(), "the Vietnam date of the day"
    follow_ups = vendor.incidents.get(f"/incidents/{incident_id}/follow-ups")
    assert [f["id"] for f in follow_ups.json()["data"]] == [follow_up.json()["id"]]
    assert_problem(
        vendor.incidents.post(f"/incidents/{incident_id}/follow-ups", json={"note": "me"}), 403
    )

    # The manual gate log while the gate camera is down.
    entry = {
        "plate": "51C-123.45",
        "container_numbers": [CONTAINER],
        "direction": "entry",
        "occurred_at": datetime.now(VIETNAM).isoformat(),
    }
    logged = vendor.incidents.post(f"/incidents/{incident_id}/gate-log", json=entry)
    assert logged.status_code == 201, logged.text
    assert logged.json()["container_numbers"] == [CONTAINER]
    wrong = vendor.incidents.post(
        f"/incidents/{incident_id}/gate-log",
        json={**entry, "container_numbers": [CONTAINER_WRONG_DIGIT]},
    )
    problem = assert_problem(wrong, 422)
    assert problem["errors"][0]["field"] == "body.container_numbers.0", problem
    assert f"expected {CONTAINER[-1]}" in problem["errors"][0]["message"], problem
    gate_log = officer.incidents.get(f"/incidents/{incident_id}/gate-log")
    assert gate_log.status_code == 200, gate_log.text
    assert [e["id"] for e in gate_log.json()["data"]] == [logged.json()["id"]]

    # The camera comes back: registry.camera.came_back.v1 reaches the incident's timeline;
    # with a notice filed, the EPE still reports the restoration itself.
    _heartbeat(vendor, epe, number, "ok")
    poll("the camera online again", lambda: _camera(vendor, epe, camera_id)["state"] == "online")
    poll(
        "the camera's return on the incident's timeline",
        lambda: "camera_came_back" in _timeline_actions(vendor, incident_id),
    )
    ended = vendor.registry.get(f"/epes/{epe}/outages", params={"camera_id": camera_id})
    [closed_outage] = ended.json()["data"]
    assert closed_outage["ended_at"], closed_outage
    assert vendor.incidents.get(f"/incidents/{incident_id}").json()["state"] == "plan_agreed"
    restored = vendor.incidents.post(
        f"/incidents/{incident_id}/restoration",
        json={"restored_at": closed_outage["ended_at"], "note": "Đã thay bộ nguồn PoE"},
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["state"] == "restored"
    assert restored.json()["promptness"] == "early"
    assert_problem(
        officer.incidents.post(
            f"/incidents/{incident_id}/restoration", json={"restored_at": closed_outage["ended_at"]}
        ),
        403,
    )
    closed = officer.incidents.post(
        f"/incidents/{incident_id}/closure", json={"note": "Đã kiểm tra hình ảnh camera"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    assert closed.json()["closed_at"]

    timeline = _timeline_actions(officer, incident_id)
    for action in (
        "notice_filed",
        "plan_agreed",
        "follow_up_recorded",
        "camera_came_back",
        "restored",
        "closed",
    ):
        assert action in timeline, (action, timeline)

    # Promptness per EPE, for the officer and for risk scoring (customs system).
    for caller in (officer, customs):
        promptness = caller.incidents.get(f"/epes/{epe}/promptness")
        assert promptness.status_code == 200, promptness.text
        summary = promptness.json()
        assert summary["epe_id"] == epe
        assert summary["counts"]["early"] >= 1
        [record] = [r for r in summary["recent"] if r["incident_id"] == incident_id]
        assert record["promptness"] == "early"
        assert record["closed"] is True
    assert_problem(other_vendor.incidents.get(f"/epes/{epe}/promptness"), 404)  # not its own

    # The camera is retired: it stops reporting without going offline again later.
    removed = vendor.registry.delete(f"/epes/{epe}/cameras/{camera_id}")
    assert removed.status_code == 204, removed.text


@pytest.mark.parametrize(
    ("day", "working", "kind"),
    [
        (date(2025, 1, 29), False, "public_holiday"),  # Tet: first day of the lunar year
        (date(2026, 2, 17), False, "public_holiday"),  # Tet 2026 (computed, not listed)
        (date(2025, 4, 26), True, "make_up_working_day"),  # Saturday worked for 2 May
        (date(2025, 5, 2), False, "announced_day_off"),  # its swapped Friday
        (date(2025, 4, 19), False, "weekend"),  # an ordinary Saturday
        (date(2025, 1, 23), True, "working_day"),
    ],
)
def test_is_a_day_a_working_day(vendor, day, working, kind):
    response = vendor.incidents.get(f"/calendar/days/{day.isoformat()}")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["date"] == day.isoformat()
    assert answer["working_day"] is working
    assert answer["kind"] == kind
    if kind != "working_day" and kind != "weekend":
        assert answer["name"]


def test_working_days_after_across_tet_and_a_swapped_saturday(officer, customs):
    # Three working days from Thursday 23 January 2025: Friday 24, then Tet (27 Jan - 31 Jan
    # off with the weekends), so Monday 3 and Tuesday 4 February.
    across_tet = officer.incidents.get(
        "/calendar/working-days-after", params={"date": "2025-01-23", "days": 3}
    )
    assert across_tet.status_code == 200, across_tet.text
    answer = across_tet.json()
    assert answer["result"] == "2025-02-04"
    assert datetime.fromisoformat(answer["ends_at"]) == datetime(2025, 2, 5, tzinfo=VIETNAM)
    skipped = {d["date"]: d["kind"] for d in answer["skipped"]}
    assert skipped["2025-01-29"] == "public_holiday"
    assert skipped["2025-01-25"] == "weekend"
    # Ten working days from Friday 25 April 2025: Saturday 26 counts, Friday 2 May does not.
    swapped = customs.incidents.get(
        "/calendar/working-days-after", params={"date": "2025-04-25", "days": 10}
    )
    assert swapped.status_code == 200, swapped.text
    answer = swapped.json()
    skipped = {d["date"]: d["kind"] for d in answer["skipped"]}
    assert "2025-04-26" not in skipped, "the make-up Saturday is counted"
    assert skipped["2025-05-02"] == "announced_day_off"
    assert skipped["2025-04-30"] == "public_holiday"
    # 26, 28, 29 Apr; 5-9 May; 12, 13 May
    assert answer["result"] == "2025-05-13"
    bad = customs.incidents.get(
        "/calendar/working-days-after", params={"date": "2025-13-01", "days": 3}
    )
    problem = assert_problem(bad, 422)
    assert problem["errors"][0]["field"] == "query.date", problem
