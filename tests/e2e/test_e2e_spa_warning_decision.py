"""The head decides an escalated warning in the SPA, in Chromium against the real stack (issue 14).

The vendor of an EPE the demo officer is assigned to reads a container leaving its gate that no
customs declaration cleared: risk raises `container_exit_uncleared`. The officer acknowledges it
and escalates it (suspected commercial fraud) through the API; the head signs in to the SPA,
finds it in the queue under "escalated", opens it (the officer's reason in the timeline;
screenshots in Vietnamese and English, axe-core finds no serious or critical violation) and
organises an inspection: the warning shows closed, with the decision in its timeline.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from stdnum import iso6346

from devkit.testing.http import bearer, poll

from .conftest import ARTIFACTS, axe_violations, spa_sign_in

pytestmark = pytest.mark.browser

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def _container() -> str:
    """A valid ISO 6346 number no declaration of the demo data names."""
    head = "CWTU" + "".join(secrets.choice("0123456789") for _ in range(6))
    return head + str(iso6346.calc_check_digit(head))


def _raise_warning(stack, account, machine_token) -> dict[str, Any]:
    """A gate read at an assigned EPE's new gate camera that no declaration clears."""
    officer_epes = set(account("officer")["assigned_epes"].split(","))
    vendor = next(
        name for name in ("epe_vendor_1", "epe_vendor_2") if account(name)["epe_id"] in officer_epes
    )
    epe = account(vendor)["epe_id"]
    suffix = uuid.uuid4().hex[:6].upper()
    with httpx.Client(base_url=stack.url, headers=bearer(machine_token(vendor)), timeout=30) as api:
        area = api.post(
            f"/api/registry/epes/{epe}/areas",
            json={"code": f"GW-{suffix}", "name": f"Cổng {suffix}", "kind": "epe_gate"},
        )
        assert area.status_code == 201, area.text
        camera = api.post(
            f"/api/registry/epes/{epe}/cameras",
            json={
                "number": f"WRN-{suffix}",
                "position_kind": "epe_gate",
                "area_id": area.json()["id"],
                "vendor": "Hikvision",
                "model": "DS-2CD7A26G0",
                "capabilities": {"reads_plates": True, "reads_container_numbers": True},
            },
        )
        assert camera.status_code == 201, camera.text
        read = {
            "event_id": f"anpr-{suffix}",
            "camera_id": camera.json()["id"],
            "direction": "exit",
            # two hours ago: the SPA offers the footage as evidence, not the live view
            "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "plate": "51C-123.45",
            "container_numbers": [_container()],
            "confidence": 0.93,
        }

        # risk knows the camera once the registry's event reached its projection
        def stored() -> dict[str, Any] | None:
            answer = api.post("/api/risk/gate-events", json=read)
            if answer.status_code == 422:
                return None
            assert answer.status_code in (200, 201), answer.text
            found: dict[str, Any] = answer.json()
            return found

        event = poll("the gate read stored by risk", stored)
    return {"epe": epe, "gate_event_id": event["id"], "container": read["container_numbers"][0]}


def test_head_decides_an_escalated_warning(
    stack, account, machine_token, officer_session, spa_context
) -> None:
    raised = _raise_warning(stack, account, machine_token)
    officer = officer_session("officer")
    reason = f"Container {raised['container']} ra cổng không có tờ khai: nghi gian lận thương mại"
    with httpx.Client(base_url=f"{stack.url}/api/risk", timeout=30) as risk:

        def the_warning() -> dict[str, Any] | None:
            answer = risk.get(
                "/warnings",
                headers=officer.headers(),
                params={"epe_id": raised["epe"], "rule": "container_exit_uncleared", "limit": 200},
            )
            assert answer.status_code == 200, answer.text
            return next(
                (w for w in answer.json()["data"] if w["gate_event_id"] == raised["gate_event_id"]),
                None,
            )

        warning = poll("the warning of the uncleared exit", the_warning)
        warning_id = warning["id"]
        for step, body in (("acknowledge", None), ("escalate", {"reason": reason})):
            answer = risk.post(
                f"/warnings/{warning_id}/{step}", headers=officer.headers(), json=body
            )
            assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == "escalated"

        # The head finds it in the queue under "escalated" and opens it.
        page = spa_context()
        spa_sign_in(page, stack, account("head"))
        page.get_by_role("navigation").get_by_role("link", name="Cảnh báo rủi ro").click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        page.get_by_label("Trạng thái").select_option("escalated")
        row = page.locator(f'tr[data-warning-id="{warning_id}"]')
        expect(row).to_be_visible()
        expect(row).to_contain_text("Container ra cổng chưa được thông quan")
        row.get_by_role("link").click()
        expect(page).to_have_url(f"{stack.url}/warnings/{warning_id}")
        expect(page.get_by_role("heading", level=1)).to_contain_text(raised["container"])
        expect(page.locator(".page-head")).to_contain_text("Đã báo cáo lãnh đạo")
        escalation = page.locator('.timeline li[data-step="escalate"]')
        expect(escalation).to_contain_text("Báo cáo lãnh đạo")
        expect(escalation).to_contain_text(reason)
        actions = page.get_by_role("group", name="Xử lý")
        expect(actions.get_by_role("button")).to_have_count(2)

        ARTIFACTS.mkdir(exist_ok=True)
        for language, button in LANGUAGES.items():
            page.get_by_role("button", name=button).click()
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("main .loading")).to_have_count(0)
            page.screenshot(
                path=str(ARTIFACTS / f"spa-head-warning-escalated-{language}.png"), full_page=True
            )
            violations = axe_violations(page)
            assert not violations, f"warning ({language}): {violations}"
        page.get_by_role("button", name="Tiếng Việt").click()

        # The decision: an inspection is organised; the warning closes, the timeline says so.
        note = "Tổ chức kiểm tra thực tế tại doanh nghiệp trong ngày"
        actions.get_by_role("button", name="Tổ chức kiểm tra").click()
        page.get_by_label("Ghi chú").fill(note)
        page.locator("form.card").get_by_role("button", name="Tổ chức kiểm tra").click()
        expect(page.locator(".page-head")).to_contain_text("Đã kết thúc")
        decision = page.locator('.timeline li[data-step="decide"]')
        expect(decision).to_contain_text("Lãnh đạo quyết định")
        expect(decision).to_contain_text("Quyết định: Tổ chức kiểm tra")
        expect(decision).to_contain_text(note)
        expect(page.get_by_role("group", name="Xử lý")).to_have_count(0)
        for language, button in LANGUAGES.items():
            page.get_by_role("button", name=button).click()
            expect(page.locator("html")).to_have_attribute("lang", language)
            page.screenshot(
                path=str(ARTIFACTS / f"spa-head-warning-decided-{language}.png"), full_page=True
            )
            violations = axe_violations(page)
            assert not violations, f"decided warning ({language}): {violations}"

        # The server agrees: closed, by the head, with the decision and the note.
        head = officer_session("head")
        detail = risk.get(f"/warnings/{warning_id}", headers=head.headers())
        assert detail.status_code == 200, detail.text
        assert detail.json()["state"] == "closed"
        last = detail.json()["timeline"][-1]
        assert last["action"] == "decide"
        assert last["details"] == {"decision": "organise_inspection", "note": note}
