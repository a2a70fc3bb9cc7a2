"""The vault and authority pages of the officer SPA in Chromium against the real stack.

The officer reveals the demo EPE's camera-system account with a fresh TOTP step-up: the
secret shows once with its countdown, is in neither localStorage nor sessionStorage, and is
gone from the page when the countdown ends (the page's clock is moved forward). A user
administrator prepares a grant in the SPA and the head approves it there (maker-checker). Each
page is saved in both languages under test-artifacts/ and checked with axe-core.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from devkit.testing.totp import fresh_code

from .conftest import ARTIFACTS, axe_violations, spa_sign_in
from .test_e2e_spa_pages import _visit_every_page

pytestmark = pytest.mark.browser

STORAGE = "() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"


def _step_up_and_reveal(page: Page, totp_secret: str) -> None:
    """Submit the reveal form with a TOTP code no sign-in in this process has used."""
    page.locator("input[name=code]").fill(fresh_code(totp_secret))
    page.get_by_role("button", name="Xem một lần").click()
    expect(page.get_by_test_id("secret-panel")).to_be_visible()


def test_officer_reveals_a_vault_secret_once_with_totp(stack, account, spa_context) -> None:
    officer = account("officer")
    epe = officer["assigned_epes"].split(",")[0]
    page = spa_context()
    page.clock.install()  # real time, until the test moves it forward
    spa_sign_in(page, stack, officer)
    page.get_by_role("navigation").get_by_role("link", name="Kho tài khoản camera").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Kho tài khoản camera")
    expect(heading).to_be_focused()
    row = page.locator("tbody tr").filter(has_text=epe).first
    row.get_by_role("button", name="Xem tài khoản").click()
    expect(page.get_by_role("heading", level=2, name="Xem tài khoản:")).to_be_focused()

    page.get_by_label("Lý do xem").fill("Kiểm tra hình ảnh cổng chính theo kế hoạch giám sát")
    _step_up_and_reveal(page, officer["totp_secret"])
    password = page.get_by_test_id("secret-password").inner_text()
    assert len(password) >= 8
    expect(page.get_by_test_id("secret-account")).to_have_text("customs-viewer")
    expect(page.get_by_role("timer")).to_contain_text("Tự ẩn sau")
    assert password not in page.evaluate(STORAGE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "spa-officer-vault-revealed-vi.png"), full_page=True)
    assert not axe_violations(page)

    # The countdown ends: the secret is gone from the page, and was never stored.
    page.clock.fast_forward("01:05")
    expect(page.get_by_test_id("secret-panel")).to_have_count(0)
    expect(page.get_by_test_id("secret-hidden")).to_be_visible()
    assert password not in page.content()
    assert password not in page.evaluate(STORAGE)

    # Another reveal within the step-up's 5 minutes asks no code; a reason too short is
    # refused by the server, the field named, and what was typed stays.
    row.get_by_role("button", name="Xem tài khoản").click()
    expect(page.get_by_test_id("step-up-fresh")).to_be_visible()
    expect(page.locator("input[name=code]")).to_have_count(0)
    reason = page.get_by_label("Lý do xem")
    reason.evaluate("(el) => el.removeAttribute('minlength')")
    reason.fill("ngắn quá")
    page.get_by_role("button", name="Xem một lần").click()
    expect(page.get_by_role("alert")).to_contain_text("reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_value("ngắn quá")

    _visit_every_page(page, stack.url, "officer", {"vault": "/vault"})


def test_head_approves_a_grant_an_administrator_prepared(
    stack, account, officer_session, spa_context
) -> None:
    admin = account("admin")
    suffix = uuid.uuid4().hex[:6]
    full_name = f"Công chức thử {suffix}"
    created = httpx.post(
        f"{stack.url}/api/access/users",
        headers=officer_session("admin").headers(),
        json={"username": f"spa.grant.{suffix}", "full_name": full_name, "unit": admin["unit"]},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["user"]["id"]
    option = f"{full_name} (@spa.grant.{suffix})"

    # The administrator prepares the grant in the SPA (their home is the authority page).
    page = spa_context()
    spa_sign_in(page, stack, admin)
    expect(page).to_have_url(f"{stack.url}/authority")
    expect(page.get_by_role("heading", level=1)).to_have_text("Phân quyền và phân công")
    _visit_every_page(page, stack.url, "admin", {"authority": "/authority"})
    page.get_by_role("button", name="Tiếng Việt").click()
    page.get_by_label("Công chức", exact=True).select_option(label=option)
    page.get_by_label("Quyền", exact=True).select_option("supervisory_officer")
    page.get_by_label("Lý do", exact=True).fill(f"Quyết định phân công số {suffix}/QĐ-HQ")
    page.get_by_role("button", name="Gửi đề nghị").click()
    expect(page.get_by_role("status").filter(has_text="Đã gửi đề nghị")).to_be_visible()
    pending = page.locator("tbody tr").filter(has_text=full_name)
    expect(pending).to_contain_text("Chờ lãnh đạo Chi cục")
    expect(pending.get_by_role("button")).to_have_count(0)  # an administrator never decides

    # The head approves it.
    page = spa_context()
    spa_sign_in(page, stack, account("head"))
    page.get_by_role("navigation").get_by_role("link", name="Phân quyền và phân công").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Phân quyền và phân công")
    row = page.locator("tbody tr").filter(has_text=full_name)
    expect(row).to_contain_text("Chờ phê duyệt")
    row.get_by_role("button", name="Xem xét").click()
    expect(page.get_by_role("heading", level=3)).to_be_focused()
    page.get_by_label("Ý kiến (không bắt buộc)").fill("Đồng ý")
    page.get_by_role("button", name="Phê duyệt").click()
    expect(page.get_by_test_id("decision-done")).to_have_text("Đã phê duyệt đề nghị.")
    page.get_by_label("Trạng thái").select_option("all")
    expect(page.locator("tbody tr").filter(has_text=full_name)).to_contain_text("Đã phê duyệt")
    grants = httpx.get(
        f"{stack.url}/api/access/users/{user_id}/grants",
        headers=officer_session("admin").headers(),
        timeout=30,
    )
    assert grants.status_code == 200, grants.text
    assert [g["role"] for g in grants.json()["data"]] == ["supervisory_officer"]

    # Now an officer, they can be assigned to an EPE of the unit, and the assignment ended.
    epe = account("epe_vendor_2")["epe_id"]
    page.get_by_label("Công chức", exact=True).select_option(label=option)
    page.get_by_label("Doanh nghiệp", exact=True).select_option(epe)
    page.get_by_role("button", name="Phân công", exact=True).click()
    assignment = page.locator("tbody tr[data-assignment-id]").filter(has_text=full_name)
    expect(assignment).to_contain_text(epe)
    assignment.get_by_role("button", name="Kết thúc").click()
    expect(assignment).to_have_count(0)
    _visit_every_page(page, stack.url, "head", {"authority": "/authority", "vault": "/vault"})
