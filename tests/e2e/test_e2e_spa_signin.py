"""The officer SPA in headless Chromium, through the gateway of a real stack.

The seeded officer signs in (password, then a TOTP code computed with pyotp from the seeded
secret) through the authorization code + PKCE flow, sees who is signed in (name, unit, roles)
lands on the dashboard with the EPEs they are assigned to, opens the assigned EPEs page (names
and tax codes from the registry), switches to English, reloads (the language persists and the
refresh token resumes the session), and a screenshot is saved to
test-artifacts/spa-signed-in.png. The two languages' key parity is the SPA's own type check
and Vitest test (gateway/spa/src/i18n).

Chromium is Debian's (`scripts/system-packages.sh` installs it), driven by Playwright with
`executable_path`; Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from access.seed import DEMO_UNIT_NAME

from .conftest import ARTIFACTS, spa_submit_fresh_totp

pytestmark = pytest.mark.browser

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# The browser runs in another time zone, so times shown in Vietnam time prove the conversion.
BROWSER_TIME_ZONE = "America/New_York"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        timezone_id=BROWSER_TIME_ZONE,
        locale="en-US",
    )
    context.set_default_timeout(30_000)
    opened = context.new_page()
    failures: list[str] = []
    opened.on("pageerror", lambda error: failures.append(str(error)))
    yield opened
    context.close()
    assert not failures, f"uncaught errors in the page: {failures}"


def _vietnam_minutes_now() -> set[str]:
    """The current minute in Vietnam (and its neighbours), as the SPA shows it in English."""
    now = datetime.now(VIETNAM)
    return {(now + timedelta(minutes=d)).strftime("%d/%m/%Y, %H:%M") for d in (-1, 0, 1)}


def test_officer_signs_in_with_totp_and_sees_assigned_epes(stack, account, demo_epes, page):
    officer = account("officer")
    assigned = officer["assigned_epes"].split(",")
    roles = officer["roles"].split(",")
    assert assigned and all(epe in demo_epes for epe in assigned)

    # Not signed in: the SPA opens its sign-in page, in Vietnamese.
    page.goto(f"{stack.url}/")
    expect(page).to_have_url(f"{stack.url}/signin")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng nhập")

    # A wrong password is refused with the server's problem shown.
    page.get_by_label("Tên đăng nhập").fill(officer.username)
    page.get_by_label("Mật khẩu").fill(officer.password + "x")
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("alert")).to_contain_text("Thông tin đăng nhập không đúng")

    # Password, then the TOTP code.
    page.get_by_label("Mật khẩu").fill(officer.password)
    page.get_by_role("button", name="Tiếp tục").click()
    code = page.get_by_label("Mã xác thực (TOTP)")
    expect(code).to_be_focused()
    totp = pyotp.TOTP(officer["totp_secret"])
    code.fill(totp.at(datetime.now() - timedelta(hours=1)))  # a code from an hour ago
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_role("alert")).to_contain_text("Mã xác thực không đúng")
    expect(code).to_be_focused()
    spa_submit_fresh_totp(page, officer)  # the stack may have used the current code already

    # Back from /oauth/authorize and /callback, on the dashboard: the assigned EPEs are there.
    expect(page).to_have_url(f"{stack.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tổng quan giám sát")
    dashboard_epes = page.get_by_role("table", name="Doanh nghiệp và camera bắt buộc")
    expect(dashboard_epes.locator("tbody tr")).to_have_count(len(assigned))
    for epe_id in assigned:
        expect(dashboard_epes.locator(f'tr[data-epe-id="{epe_id}"]')).to_contain_text(
            demo_epes[epe_id]["name"]
        )

    # The navigation opens the assigned EPEs page (without a reload: the token is in memory).
    page.get_by_role("navigation").get_by_role("link", name="Doanh nghiệp được phân công").click()
    expect(page).to_have_url(f"{stack.url}/epes")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Doanh nghiệp chế xuất được phân công"
    )
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    header = page.locator("header")
    expect(header.get_by_test_id("user-name")).to_have_text(officer["name"])
    expect(header.get_by_test_id("user-unit")).to_have_text(f"{DEMO_UNIT_NAME} ({officer['unit']})")
    for role in roles:
        expect(header.locator(f'[data-role="{role}"]')).to_be_visible()
    expect(header.locator('[data-role="supervisory_officer"]')).to_have_text("Công chức giám sát")

    rows = page.locator("tbody tr")
    expect(rows).to_have_count(len(assigned))
    for epe_id in assigned:
        row = page.locator(f'tr[data-epe-id="{epe_id}"]')
        expect(row).to_contain_text(demo_epes[epe_id]["name"])
        expect(row).to_contain_text(demo_epes[epe_id]["tax_code"])
        expect(row).to_contain_text(demo_epes[epe_id]["address"])
    for other in set(demo_epes) - set(assigned):
        expect(page.locator(f'tr[data-epe-id="{other}"]')).to_have_count(0)

    # The access token is in memory only; the refresh token is in this tab's sessionStorage.
    stored = page.evaluate("() => JSON.stringify({...sessionStorage, ...localStorage})")
    assert "refresh-token" in stored
    assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", stored), "no JWT is stored"

    # English, kept across a reload; the reload resumes the session with the refresh token.
    header.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(header.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page).to_have_url(f"{stack.url}/epes")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Assigned export processing enterprises"
    )
    expect(header.locator('[data-role="supervisory_officer"]')).to_have_text("Supervisory officer")
    expect(header.get_by_test_id("user-name")).to_have_text(officer["name"])
    expect(header.get_by_test_id("user-unit")).to_have_text(f"{DEMO_UNIT_NAME} ({officer['unit']})")
    expect(page.locator(f'tr[data-epe-id="{assigned[0]}"]')).to_contain_text(
        demo_epes[assigned[0]]["name"]
    )
    expect(page.get_by_role("columnheader", name="Tax code")).to_be_visible()

    # Times are Vietnam's whatever the browser's zone.
    summary = page.locator("#epes-summary")
    expect(summary).to_contain_text("(Vietnam time)")
    shown = summary.inner_text()
    assert any(minute in shown for minute in _vietnam_minutes_now()), shown

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "spa-signed-in.png"))

    # Sign out: back to the sign-in page; the old session does not come back on reload.
    refresh_token = page.evaluate("() => sessionStorage.getItem('camwatch.refresh-token')")
    header.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin\?signedOut=1$"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(f"{stack.url}/")
    expect(page).to_have_url(f"{stack.url}/signin")
    # Sign-out revoked the refresh token at the access service: putting it back does not
    # resume the session, the SPA says the session has expired.
    page.evaluate("token => sessionStorage.setItem('camwatch.refresh-token', token)", refresh_token)
    page.goto(f"{stack.url}/epes")
    expect(page).to_have_url(f"{stack.url}/signin?return=%2Fepes&expired=1")
    expect(page.get_by_role("status")).to_have_text(
        "Your session has expired. Please sign in again."
    )
    assert page.evaluate("() => sessionStorage.getItem('camwatch.refresh-token')") is None


def test_a_callback_the_spa_did_not_ask_for_is_refused(stack, page):
    exchanges: list[str] = []
    page.on(
        "request",
        lambda request: exchanges.append(request.url) if "/oauth/token" in request.url else None,
    )
    page.goto(f"{stack.url}/callback?code=stolen-code&state=forged-state")
    expect(page.get_by_role("alert")).to_contain_text("Phản hồi đăng nhập không khớp với yêu cầu")
    expect(page).to_have_url(f"{stack.url}/callback")  # the code left the address bar
    expect(page.get_by_role("link", name="Đăng nhập lại")).to_be_visible()
    assert exchanges == [], "no code exchange without a matching state"
