"""The SPA's monthly plan, reports and evidence pages in Chromium against the real stack.

The head drafts last month's plan and approves it in the calendar page, then downloads the
report as XLSX (fetched with the token, saved from a Blob); the officer records the result of
one of their (overdue) inspections, a refused save keeping what was chosen; the officer asks
an EPE for footage in the evidence form (a refused save names the field and keeps the text)
and lands on the new request. Each page is saved in both languages and checked with axe-core.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, expect

from devkit.testing.http import poll

from .conftest import ARTIFACTS, axe_violations, spa_sign_in

pytestmark = pytest.mark.browser

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
HOUR = timedelta(hours=1)
LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def _last_month() -> str:
    first = datetime.now(VIETNAM).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _shoot_both_languages(page: Page, role: str, name: str) -> None:
    """Screenshot and axe-check the page as it is, in Vietnamese and English (back to vi)."""
    ARTIFACTS.mkdir(exist_ok=True)
    for language in ("en", "vi"):
        page.get_by_role("button", name=LANGUAGES[language]).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("main .loading")).to_have_count(0)
        page.screenshot(path=str(ARTIFACTS / f"spa-{role}-{name}-{language}.png"), full_page=True)
        violations = axe_violations(page)
        assert not violations, f"{name} ({language}): {violations}"


def test_head_approves_the_plan_and_the_officer_records_a_result(
    stack, account, spa_context
) -> None:
    month = _last_month()
    head = spa_context()
    spa_sign_in(head, stack, account("head"))
    head.get_by_role("navigation").get_by_role("link", name="Kế hoạch giám sát").click()
    expect(head.get_by_role("heading", level=1)).to_have_text("Kế hoạch giám sát hằng tháng")
    head.goto(f"{stack.url}/plan?month={month}")
    head.get_by_role("button", name="Lập kế hoạch tháng").click()
    facts = head.get_by_test_id("plan-facts")
    expect(facts).to_contain_text("Dự thảo")
    expect(head.locator(".plan-calendar .plan-slot-button").first).to_be_visible()
    head.get_by_role("button", name="Phê duyệt kế hoạch").click()
    expect(facts).to_contain_text("Đã duyệt")
    _shoot_both_languages(head, "head", "plan")

    head.get_by_role("navigation").get_by_role("link", name="Báo cáo", exact=True).click()
    expect(head.get_by_role("heading", level=1)).to_have_text("Báo cáo giám sát")
    expect(head.locator("[data-section=plan_completion]")).to_be_visible()
    _shoot_both_languages(head, "head", "reports")
    with head.expect_download() as saved:
        head.get_by_role("button", name="Tải XLSX").click()
    download = saved.value
    assert download.suggested_filename.endswith(".xlsx")
    path = download.path()
    assert path is not None and path.read_bytes()[:2] == b"PK"  # an XLSX (zip) file

    officer = spa_context()
    spa_sign_in(officer, stack, account("officer"))
    officer.goto(f"{stack.url}/plan?month={month}")
    expect(officer.get_by_test_id("plan-facts")).to_contain_text("Đã duyệt")
    overdue = officer.locator(".plan-overdue .plan-slot-button")
    expect(overdue.first).to_be_visible()  # last month's slots of mine have all passed
    overdue.first.click()
    form = officer.locator(
        "form", has=officer.get_by_role("heading", name="Ghi nhận kết quả kiểm tra")
    )
    form.get_by_label("Kết quả", exact=True).select_option("not_done")
    # Not done without a reason: the browser's own check is bypassed to see the server's.
    form.evaluate("f => f.noValidate = true")
    form.get_by_role("button", name="Lưu kết quả").click()
    expect(form.get_by_role("alert")).to_contain_text("body.note")
    expect(form.get_by_label("Kết quả", exact=True)).to_have_value("not_done")
    form.get_by_label("Ghi chú").fill("Doanh nghiệp nghỉ đột xuất")
    form.get_by_role("button", name="Lưu kết quả").click()
    panel = officer.locator(".plan-slot")
    expect(panel).to_contain_text("Không thực hiện")
    expect(panel).to_contain_text("Doanh nghiệp nghỉ đột xuất")
    _shoot_both_languages(officer, "officer", "plan")


def test_officer_asks_an_epe_for_footage(stack, account, officer_session, spa_context) -> None:
    officer = account("officer")
    epe = officer["assigned_epes"].split(",")[0]
    api = officer_session("officer")
    cameras = httpx.get(
        f"{stack.url}/api/registry/epes/{epe}/cameras", headers=api.headers(), timeout=30
    )
    assert cameras.status_code == 200 and cameras.json()["data"], cameras.text
    camera = cameras.json()["data"][0]["id"]
    tomorrow = datetime.now(VIETNAM) + timedelta(days=1)
    future = {
        "epe_id": epe,
        "cameras": [camera],
        "time_ranges": [{"start": tomorrow.isoformat(), "end": (tomorrow + HOUR).isoformat()}],
        "reason": "probe",
    }

    def cameras_known() -> bool:
        # Refused for its future time (nothing stored) once the evidence service has
        # learnt the officer's assignment and the EPE's cameras from their events.
        answer = httpx.post(
            f"{stack.url}/api/evidence/requests", json=future, headers=api.headers(), timeout=30
        )
        return answer.status_code == 422 and "time_ranges" in answer.text

    poll("the evidence service knows the officer's EPE and its cameras", cameras_known)

    page = spa_context()
    spa_sign_in(page, stack, officer)
    page.get_by_role("navigation").get_by_role("link", name="Dữ liệu camera").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Yêu cầu cung cấp dữ liệu camera")
    _shoot_both_languages(page, "officer", "evidence")

    form = page.locator("form", has=page.get_by_role("heading", name="Yêu cầu dữ liệu mới"))
    form.get_by_label("Doanh nghiệp", exact=True).select_option(epe)
    form.locator(f"[id='camera-{camera}']").check()
    form.get_by_label("Từ (khoảng 1)").fill(tomorrow.strftime("%Y-%m-%dT08:00"))
    form.get_by_label("Đến (khoảng 1)").fill(tomorrow.strftime("%Y-%m-%dT09:00"))
    form.get_by_label("Lý do", exact=True).fill("Đối chiếu container xuất cổng")
    form.get_by_role("button", name="Gửi yêu cầu").click()
    # Footage cannot start in the future: the field is named and nothing typed is lost.
    expect(form.get_by_role("alert")).to_contain_text("body.time_ranges[0].start")
    expect(form.get_by_label("Từ (khoảng 1)")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Lý do", exact=True)).to_have_value("Đối chiếu container xuất cổng")

    yesterday = datetime.now(VIETNAM) - timedelta(days=1)
    form.get_by_label("Từ (khoảng 1)").fill(yesterday.strftime("%Y-%m-%dT08:00"))
    form.get_by_label("Đến (khoảng 1)").fill(yesterday.strftime("%Y-%m-%dT09:00"))
    form.get_by_role("button", name="Gửi yêu cầu").click()
    page.wait_for_url("**/evidence/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Yêu cầu dữ liệu")
    expect(page.locator(".page-head .badge")).to_have_text("Đã yêu cầu")
    expect(page.locator("main")).to_contain_text("Đối chiếu container xuất cổng")
    expect(page.get_by_role("heading", name="Chuỗi lưu giữ dữ liệu")).to_be_visible()
    _shoot_both_languages(page, "officer", "evidence-request")
