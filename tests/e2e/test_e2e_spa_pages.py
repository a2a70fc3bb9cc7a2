"""The officer SPA's pages in Chromium against the real stack, per role journey.

Every page the signed-in officer and head can open is visited in Vietnamese and in English:
its heading shows, a screenshot goes to test-artifacts/spa-<role>-<page>-<language>.png, and
axe-core (from the SPA's node_modules) finds no serious or critical violation. The officer's
journey: a camera of an assigned EPE goes offline, the dashboard (left open, no reload) shows
it and the incident with its working-day countdown, and the officer records the daily update
(a refused save keeps the text typed and names the field).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from devkit.testing.http import poll

from .conftest import ARTIFACTS, axe_violations, spa_sign_in

pytestmark = pytest.mark.browser

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def _visit_every_page(page: Page, base: str, role: str, pages: dict[str, str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for language, button in LANGUAGES.items():
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        for name, path in pages.items():
            page.goto(f"{base}{path}")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            expect(page.locator("main .loading")).to_have_count(0)
            expect(page.locator("main")).not_to_contain_text("…")  # counts still loading
            page.screenshot(
                path=str(ARTIFACTS / f"spa-{role}-{name}-{language}.png"), full_page=True
            )
            violations = axe_violations(page)
            assert not violations, f"{path} ({language}): {violations}"


def test_officer_pages_in_both_languages(stack, account, spa_context) -> None:
    officer = account("officer")
    epe = officer["assigned_epes"].split(",")[0]
    page = spa_context()
    spa_sign_in(page, stack, officer)
    nav = page.get_by_role("navigation")
    for name in ("Tổng quan", "Doanh nghiệp được phân công", "Sự cố camera", "Cảnh báo rủi ro"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    _visit_every_page(
        page,
        stack.url,
        "officer",
        {
            "dashboard": "/",
            "epes": "/epes",
            "epe": f"/epes/{epe}",
            "incidents": "/incidents",
            "warnings": "/warnings",
            "signin-missing": "/no-such-page",
        },
    )
    # (in English now) The dashboard's risk level in words and today's plan slots; the EPE
    # page's risk score (its explanation, or that none is computed yet) and evidence requests.
    page.goto(f"{stack.url}/")
    row = page.locator(f'tr[data-epe-id="{epe}"]')
    expect(row.get_by_test_id("risk-level")).to_be_visible()
    expect(row.get_by_test_id("risk-level")).to_contain_text(re.compile(r"risk"))
    expect(page.get_by_role("heading", name="My monitoring-plan slots today")).to_be_visible()
    page.goto(f"{stack.url}/epes/{epe}")
    expect(page.get_by_role("heading", name="Risk score", level=2)).to_be_visible()
    explained = page.get_by_test_id("risk-explanation")
    expect(explained.or_(page.get_by_text("No risk score has been computed"))).to_be_visible()
    if explained.count():
        expect(page.get_by_test_id("risk-total")).to_be_visible()
    expect(page.get_by_role("heading", name="Camera footage requests", level=2)).to_be_visible()


def test_head_pages_in_both_languages(stack, account, spa_context) -> None:
    page = spa_context()
    spa_sign_in(page, stack, account("head"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tổng quan giám sát")
    _visit_every_page(
        page, stack.url, "head", {"dashboard": "/", "epes": "/epes", "warnings": "/warnings"}
    )


def test_the_sign_in_page_in_both_languages(stack, spa_context) -> None:
    page = spa_context()
    page.goto(f"{stack.url}/signin")
    ARTIFACTS.mkdir(exist_ok=True)
    for language, button in LANGUAGES.items():
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.screenshot(path=str(ARTIFACTS / f"spa-signin-{language}.png"))
        assert not axe_violations(page)
    # Keyboard only: the form has focus on arrival, Tab moves through it, Enter submits.
    page.goto(f"{stack.url}/signin")
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type("nobody")
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("#username")).to_have_value("nobody")


def _offline_required(api: httpx.Client, epe: str, camera_id: str) -> str | None:
    """The number of the EPE's required cameras offline, once `camera_id` is one of them."""
    cameras: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = api.get(
            f"/registry/epes/{epe}/cameras",
            params={"limit": 200, "cursor": cursor} if cursor else {"limit": 200},
        )
        assert answer.status_code == 200, answer.text
        cameras += answer.json()["data"]
        cursor = answer.json()["next_cursor"]
        if not cursor:
            break
    offline = {c["id"] for c in cameras if c["must_be_online"] and c["state"] == "offline"}
    return str(len(offline)) if camera_id in offline else None


def _open_incident(api: httpx.Client, epe: str, camera_id: str) -> dict[str, Any] | None:
    answer = api.get(
        api.base_url.copy_with(path="/api/incidents/incidents"),
        params={"epe_id": epe, "limit": 100},
    )
    assert answer.status_code == 200, answer.text
    for incident in answer.json()["data"]:
        if camera_id in incident["camera_ids"] and incident["state"] != "closed":
            found: dict[str, Any] = incident
            return found
    return None


def test_officer_sees_a_camera_go_offline_and_records_the_daily_update(
    stack, account, vendor_api, spa_context
) -> None:
    vendor, epe = vendor_api
    suffix = uuid.uuid4().hex[:6].upper()
    area = vendor.post(
        f"/registry/epes/{epe}/areas",
        json={"code": f"GS-{suffix}", "name": f"Cổng {suffix}", "kind": "epe_gate"},
    )
    assert area.status_code == 201, area.text
    number = f"SPA-{suffix}"
    camera = vendor.post(
        f"/registry/epes/{epe}/cameras",
        json={
            "number": number,
            "position_kind": "epe_gate",
            "area_id": area.json()["id"],
            "vendor": "Dahua",
            "model": "IPC-HFW5442E",
            "capabilities": {"reads_plates": True, "reads_container_numbers": True},
        },
    )
    assert camera.status_code == 201, camera.text
    camera_id = camera.json()["id"]
    heartbeat = vendor.post(
        f"/registry/epes/{epe}/heartbeats", json={"cameras": [{"camera": number, "status": "ok"}]}
    )
    assert heartbeat.status_code == 202, heartbeat.text

    # The officer's dashboard, left open, with the live channel open.
    page = spa_context()
    camera_reads: list[str] = []
    page.on("request", lambda r: camera_reads.append(r.url) if "/cameras" in r.url else None)
    spa_sign_in(page, stack, account("officer"))
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-live", "open")
    row = page.get_by_role("table", name="Doanh nghiệp và camera bắt buộc").locator(
        f'tr[data-epe-id="{epe}"]'
    )
    offline = row.get_by_test_id("cameras-offline")
    expect(offline).not_to_have_text("…")
    # No polling while the channel is open: for longer than the fallback interval (10 s), the
    # dashboard reads no camera again by itself. A read may still follow a live event (other
    # tests' cameras of the demo EPE going offline), so a window with a read is tried again:
    # polling would read in every window, events do not.
    page.wait_for_timeout(2_000)
    windows: list[list[str]] = []
    for _ in range(4):
        camera_reads.clear()
        page.wait_for_timeout(12_000)
        windows.append(list(camera_reads))
        if not camera_reads:
            break
    assert not windows[-1], f"camera reads in every 12 s window: {windows}"
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-live", "open")

    # The camera reports no signal: the live channel tells the dashboard, which shows it
    # offline and the incident, with no reload and no polling.
    heartbeat = vendor.post(
        f"/registry/epes/{epe}/heartbeats",
        json={"cameras": [{"camera": number, "status": "no_signal"}]},
    )
    assert heartbeat.status_code == 202, heartbeat.text
    # Other tests' cameras of the demo EPE go offline on their own (their heartbeats stop), so
    # the dashboard must come to show this camera offline and the registry's count of the
    # moment, not merely one more than before.
    poll(
        "the dashboard showing the registry's offline count with this camera offline",
        lambda: _offline_required(vendor, epe, camera_id) == offline.inner_text(),
        timeout=60,
        interval=1,
    )
    assert any(f"/epes/{epe}/cameras" in url for url in camera_reads)
    incident = poll("the incident of the camera", lambda: _open_incident(vendor, epe, camera_id))
    incident_row = page.locator(f'tr[data-incident-id="{incident["id"]}"]')
    expect(incident_row).to_be_visible(timeout=60_000)
    expect(incident_row).to_contain_text(re.compile(r"Còn \d+ ngày làm việc"))

    # The officer opens it from the dashboard and records today's situation (any officer of
    # the unit may while the head has appointed none).
    incident_row.get_by_role("link").click()
    expect(page).to_have_url(f"{stack.url}/incidents/{incident['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(incident["id"][-8:])
    note = page.get_by_label("Tình hình khắc phục")
    typed = "Doanh nghiệp đang chờ bộ nguồn PoE thay thế; công chức giám sát trực tiếp tại cổng"
    note.fill(typed)
    page.get_by_role("button", name="Lưu cập nhật").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu cập nhật.")).to_be_visible()
    expect(page.locator(".follow-ups")).to_contain_text(typed)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "spa-officer-incident-vi.png"), full_page=True)
    assert not axe_violations(page)


def test_an_announced_maintenance_shows_in_the_banner_and_the_vendor_header(
    stack, account, officer_session, vendor_api, spa_context
) -> None:
    vendor, epe = vendor_api
    page = spa_context()
    spa_sign_in(page, stack, account("officer"))
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-live", "open")

    # An IT operator announces planned maintenance (5 days' notice at least) while the page
    # is open: the banner shows it at once, from the live channel.
    operator = officer_session("it_operator")
    starts = datetime.now(UTC) + timedelta(days=6)
    title = f"Nâng cấp cơ sở dữ liệu {uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=f"{stack.url}/api/access", timeout=30) as access:
        announced = access.post(
            "/maintenance",
            headers=operator.headers(),
            json={
                "kind": "planned",
                "title": title,
                "description": "Tạm dừng 2 giờ",
                "affects": ["registry"],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
            },
        )
        assert announced.status_code == 201, announced.text
        notice = announced.json()["id"]
        banner = page.get_by_test_id("notice-banner")
        expect(banner).to_contain_text(title, timeout=30_000)
        expect(banner).to_contain_text("Bảo trì theo kế hoạch")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "spa-officer-notice-banner-vi.png"), full_page=True)
        assert not axe_violations(page)

        # The EPE's vendor software hears of it on its next API call.
        def announced_to_vendor() -> str | None:
            header = vendor.get(f"/registry/epes/{epe}").headers.get("camwatch-maintenance", "")
            return header if notice in header else None

        header = poll("the maintenance header", announced_to_vendor)
        assert f'"{notice}";kind="planned";state="announced";starts="' in header

        # Cancelled: the banner and the header drop it.
        cancelled = access.post(
            f"/maintenance/{notice}/updates",
            headers=operator.headers(),
            json={"state": "cancelled", "text": "Hoãn lại"},
        )
        assert cancelled.status_code in (200, 201), cancelled.text
        expect(page.locator(f'[data-notice="{notice}"]')).to_have_count(0, timeout=30_000)
        poll(
            "the header without the notice",
            lambda: (
                notice
                not in vendor.get(f"/registry/epes/{epe}").headers.get("camwatch-maintenance", "")
                or None
            ),
        )


def test_auditor_searches_and_verifies_the_audit_chain(stack, account, spa_context) -> None:
    page = spa_context()
    spa_sign_in(page, stack, account("auditor"))
    # The auditor's home is the audit page; of the rest the evidence requests (auditors read
    # them and their custody), the data corrections and the log digests are in the
    # navigation, not the officers' pages.
    expect(page).to_have_url(f"{stack.url}/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nhật ký kiểm tra")
    expect(page.get_by_role("navigation").get_by_role("link")).to_have_text(
        [
            "Nhật ký kiểm tra",
            "Dữ liệu camera",
            "Sửa dữ liệu trực tiếp",
            "Tổng hợp nhật ký hằng ngày",
        ]
    )

    # Sign-ins are audited: searching by action finds them.
    expect(page.locator("tbody tr").first).to_be_visible()
    page.get_by_label("Thao tác").fill("signin.succeeded")
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.locator("tbody tr").first).to_contain_text("signin.succeeded")

    page.get_by_role("button", name="Kiểm tra toàn bộ chuỗi").click()
    expect(page.get_by_test_id("chain-result")).to_contain_text("Chuỗi nhật ký toàn vẹn.")
    _visit_every_page(page, stack.url, "auditor", {"audit": "/audit"})
