"""The officer agrees an incident's surveillance plan and reviews an Appendix I declaration in
the SPA, in Chromium against the real stack.

The vendor of an EPE the demo officer is assigned to registers a camera, files the Appendix II
notice for it (the incident is `notified`) and declares its cameras conform to Appendix I. The
officer opens the incident, sees the plan not agreed, agrees one, and sees it agreed; then opens
the EPE, reads each camera's result per line and rejects the declaration with a reason. Both
pages are saved in Vietnamese and English under test-artifacts/ and checked with axe-core.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from devkit.testing.http import poll

from .conftest import ARTIFACTS, axe_violations, spa_sign_in

pytestmark = pytest.mark.browser

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _save_in_both_languages(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for language, button in LANGUAGES.items():
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("main .loading")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / f"spa-officer-{name}-{language}.png"), full_page=True)
        violations = axe_violations(page)
        assert not violations, f"{name} ({language}): {violations}"
    page.get_by_role("button", name=LANGUAGES["vi"]).click()


def test_officer_agrees_a_plan_and_reviews_conformity(
    stack, account, vendor_api, spa_context
) -> None:
    vendor, epe = vendor_api
    suffix = uuid.uuid4().hex[:6].upper()
    area = vendor.post(
        f"registry/epes/{epe}/areas",
        json={"code": f"PA-{suffix}", "name": f"Cổng {suffix}", "kind": "epe_gate"},
    )
    assert area.status_code == 201, area.text
    number = f"PLAN-{suffix}"
    camera = vendor.post(
        f"registry/epes/{epe}/cameras",
        json={
            "number": number,
            "position_kind": "epe_gate",
            "area_id": area.json()["id"],
            "vendor": "Dahua",
            "model": "IPC-HFW5442E",
        },
    )
    assert camera.status_code == 201, camera.text
    camera_id = camera.json()["id"]
    body = {
        "epe_id": epe,
        "kind": "camera_equipment",
        "camera_ids": [camera_id],
        "description": f"Camera số {number} tại cổng mất tín hiệu do hỏng bộ nguồn PoE",
        "effects": "Không quan sát được phương tiện ra vào cổng",
        "estimated_restoration_at": (datetime.now(VIETNAM) + timedelta(days=2)).isoformat(),
        "technician": {"name": "Nguyễn Văn Hùng", "phone": "+84 912 345 678"},
    }
    key = str(uuid.uuid4())

    def filed() -> httpx.Response | None:
        """The notice, once incidents learnt of the new camera from the registry's event
        (until then it is "not a registered camera of this EPE", as a vendor would see)."""
        answer = vendor.post("incidents/notices", headers={"Idempotency-Key": key}, json=body)
        if answer.status_code == 422 and "not a registered camera" in answer.text:
            return None
        return answer

    notice = poll("the notice of the new camera", filed, timeout=60, interval=1)
    assert notice.status_code == 201, notice.text
    incident_id = notice.json()["incident_id"]
    declared = vendor.post(
        f"registry/epes/{epe}/conformity/declarations",
        json={
            "statement": "Hệ thống camera của doanh nghiệp đáp ứng Phụ lục I",
            "signed_by": "Trần Thị Mai",
        },
    )
    assert declared.status_code == 201, declared.text

    page = spa_context()
    spa_sign_in(page, stack, account("officer"))

    # The incident: notified, no plan yet; the officer agrees one and sees it agreed.
    page.goto(f"{stack.url}/incidents/{incident_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident_id[-8:])
    state = page.get_by_test_id("plan-state")
    expect(state).to_contain_text("Chưa thống nhất")
    plan = "Công chức giám sát trực tiếp tại cổng; doanh nghiệp ghi sổ xe ra vào bằng tay"
    page.get_by_label("Phương án giám sát trong thời gian khắc phục").fill(plan)
    page.get_by_role("button", name="Thống nhất phương án").click()
    expect(page.get_by_role("status").filter(has_text="Đã ghi nhận phương án.")).to_be_visible()
    expect(state).to_contain_text("Đã thống nhất")
    expect(state).to_contain_text(plan)
    expect(page.locator(".page-head .badge")).to_have_text("Đã thống nhất phương án")
    expect(page.get_by_role("button", name="Lưu phương án điều chỉnh")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("plan_agreed")
    _save_in_both_languages(page, "incident-plan")

    # The EPE: each camera's lines; the officer rejects the declaration with a reason.
    page.goto(f"{stack.url}/epes/{epe}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    status = page.get_by_test_id("conformity-status")
    expect(status).to_have_text("Đã khai báo")
    summary = page.locator("summary", has_text=f"Camera {number}:")
    summary.click()
    expect(
        page.get_by_role("table", name=f"Kết quả từng dòng Phụ lục I của camera {number}")
    ).to_be_visible()
    form = page.get_by_role("form", name="Xem xét bản công bố")
    form.get_by_label("Không chấp nhận").check()
    reason = f"Camera {number} chưa khai báo thông số kỹ thuật"
    form.get_by_label("Lý do").fill(reason)
    form.get_by_role("button", name="Ghi nhận kết quả xem xét").click()
    review = page.get_by_test_id("conformity-review")
    expect(review).to_contain_text("Không chấp nhận")
    expect(review).to_contain_text(reason)
    expect(status).to_have_text("Bị từ chối")
    expect(form).to_have_count(0)
    _save_in_both_languages(page, "epe-conformity")
