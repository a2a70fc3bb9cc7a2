"""The data-correction and log-digest pages of the officer SPA in Chromium against the real stack.

An IT operator prepares a correction of a maintenance notice in the SPA (their home page), the
head of the unit approves it there, the apply command changes the row, and the auditor
downloads the Vietnamese minutes from the page. The IT operator makes a log digest on demand
and reads it. Each page is saved in both languages under test-artifacts/ and checked with
axe-core.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import spa_sign_in
from .test_e2e_data_corrections import _apply, _notice_to_correct
from .test_e2e_spa_pages import _visit_every_page

pytestmark = pytest.mark.browser


def test_a_correction_prepared_approved_and_its_minutes_in_the_spa(
    stack, account, officer_session, spa_context, tmp_path
) -> None:
    operator = officer_session("it_operator").headers()
    suffix = uuid.uuid4().hex[:6]
    wrong, right = f"Mô tả nhập sai {suffix}", f"Mô tả đúng {suffix}"
    with (
        httpx.Client(base_url=f"{stack.url}/api/access", timeout=60) as api,
        _notice_to_correct(
            api,
            operator,
            title=f"Kiểm thử giao diện sửa dữ liệu {suffix}",
            description=wrong,
            days=7,
        ) as notice_id,
    ):
        # The IT operator's home is the corrections page; they prepare the plan there.
        page = spa_context()
        spa_sign_in(page, stack, account("it_operator"))
        expect(page).to_have_url(f"{stack.url}/corrections")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sửa dữ liệu trực tiếp")
        page.get_by_label("Dịch vụ", exact=True).select_option("access")
        page.get_by_label("Bảng", exact=True).fill("maintenance_notices")
        page.get_by_label("Giá trị khóa chính", exact=True).fill(notice_id)
        page.get_by_label("Cột 1", exact=True).fill("description")
        page.get_by_label("Giá trị hiện tại 1", exact=True).fill(wrong)
        page.get_by_label("Giá trị mới 1", exact=True).fill(right)
        page.get_by_label("Lý do", exact=True).fill(f"Mô tả thông báo bảo trì nhập sai {suffix}")
        page.get_by_label("Họ tên người giám sát 1").fill("Lê Văn Giám")
        page.get_by_label("Chức vụ người giám sát 1").fill("Đại diện Cục CNTT")
        page.get_by_role("button", name="Gửi lãnh đạo phê duyệt").click()
        expect(page.get_by_role("status").filter(has_text="Đã gửi phương án")).to_be_visible()
        mine = page.locator("tbody tr").filter(has_text=right)
        expect(mine).to_contain_text("Chờ phê duyệt")
        expect(mine.get_by_role("button")).to_have_count(0)  # an operator never decides
        correction_id = mine.get_attribute("data-correction-id")
        assert correction_id

        # The head approves it.
        page = spa_context()
        spa_sign_in(page, stack, account("head"))
        page.get_by_role("navigation").get_by_role("link", name="Sửa dữ liệu trực tiếp").click()
        row = page.locator(f'tbody tr[data-correction-id="{correction_id}"]')
        expect(row).to_contain_text(f"description: {wrong} → {right}")
        row.get_by_role("button", name="Xem xét").click()
        expect(page.get_by_role("heading", level=3)).to_be_focused()
        page.get_by_label("Ý kiến (không bắt buộc)").fill("Đồng ý")
        page.get_by_role("button", name="Phê duyệt").click()
        expect(page.get_by_test_id("correction-decision-done")).to_have_text(
            "Đã phê duyệt phương án."
        )

        # Applied by the operator's command; the auditor downloads the minutes.
        done = _apply(stack, correction_id, operator, tmp_path / "backups")
        assert done.returncode == 0, done.stdout + done.stderr
        page = spa_context()
        spa_sign_in(page, stack, account("auditor"))
        page.goto(f"{stack.url}/corrections")
        row = page.locator(f'tbody tr[data-correction-id="{correction_id}"]')
        expect(row).to_contain_text("Đã thực hiện")
        with page.expect_download() as download:
            row.get_by_role("button", name="Tải biên bản (PDF)").click()
        assert download.value.suggested_filename == f"bien-ban-sua-du-lieu-{correction_id}.pdf"
        pdf = tmp_path / "minutes.pdf"
        download.value.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        _visit_every_page(
            page,
            stack.url,
            "auditor",
            {"corrections": "/corrections", "digests": "/log-digests"},
        )


def test_the_it_operator_makes_and_reads_a_log_digest(stack, account, spa_context) -> None:
    page = spa_context()
    spa_sign_in(page, stack, account("it_operator"))
    page.get_by_role("navigation").get_by_role("link", name="Tổng hợp nhật ký hằng ngày").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tổng hợp nhật ký hằng ngày")
    today = datetime.now(UTC).date()  # never after Vietnam's today (UTC+7), which is refused
    page.get_by_label("Ngày", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Lập bản tổng hợp").click()
    expect(page.get_by_test_id("digest-run-done")).to_contain_text("Đã lập bản tổng hợp")
    first = page.locator("section[data-digest-id]").first
    expect(first).to_contain_text("Lập theo yêu cầu")
    expect(first).to_contain_text("Chuỗi nhật ký kiểm tra")
    _visit_every_page(
        page, stack.url, "it_operator", {"corrections": "/corrections", "digests": "/log-digests"}
    )
