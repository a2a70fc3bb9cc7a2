"""A command-line tool signed in through the SPA (OAuth device authorization grant, RFC 8628).

`python -m servicekit.corrections apply` started without a token prints the SPA's `/device`
address and a code; the IT operator opens the address, signs in, sees which tool asks,
approves, and the command applies the approved correction with the operator's own token.
The page is saved in both languages under test-artifacts/ and checked with axe-core.
"""

from __future__ import annotations

import base64
import json
import queue
import re
import subprocess
import sys
import threading
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import axe_violations, spa_submit_fresh_totp
from .test_e2e_data_corrections import SUPERVISORS, _approved, _notice_to_correct
from .test_e2e_spa_pages import _visit_every_page

pytestmark = pytest.mark.browser


def _subject(headers: dict[str, str]) -> str:
    payload = headers["Authorization"].removeprefix("Bearer ").split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def _lines(stream, into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)
    into.put("")  # the stream ended


def test_the_apply_command_signs_in_with_a_code_approved_in_the_spa(
    stack, account, officer_session, spa_context, tmp_path
) -> None:
    operator = officer_session("it_operator").headers()
    head = officer_session("head").headers()
    suffix = uuid.uuid4().hex[:6]
    wrong, right = f"Mô tả sai {suffix}", f"Mô tả đúng {suffix}"
    with (
        httpx.Client(base_url=f"{stack.url}/api/access", timeout=60) as api,
        _notice_to_correct(
            api,
            operator,
            title=f"Kiểm thử đăng nhập dòng lệnh {suffix}",
            description=wrong,
            days=8,
        ) as notice_id,
    ):
        correction_id = _approved(
            api,
            {
                "service": "access",
                "table": "maintenance_notices",
                "primary_key": {"id": notice_id},
                "changes": {"description": {"from": wrong, "to": right}},
                "reason": f"Mô tả nhập sai, sửa qua đăng nhập dòng lệnh {suffix}",
                "supervisors": SUPERVISORS,
            },
            operator,
            head,
        )
        env = {**stack.env, "CAMWATCH_GATEWAY_URL": stack.url}
        env.pop("CAMWATCH_TOKEN", None)
        command = subprocess.Popen(
            [
                sys.executable,
                *("-m", "servicekit.corrections", "apply", correction_id),
                *("--backup-dir", str(tmp_path / "backups")),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            err: queue.Queue[str] = queue.Queue()
            threading.Thread(target=_lines, args=(command.stderr, err), daemon=True).start()
            printed: list[str] = []
            while not any("enter the code" in line for line in printed):
                line = err.get(timeout=120)
                assert line, "the command ended before it showed a code:\n" + "".join(printed)
                printed.append(line)
            text = "".join(printed)
            link = re.search(r"Open (\S+/device\?user_code=\S+)", text)
            code = re.search(r"enter the code ([A-Z]{4}-[A-Z]{4})", text)
            assert link and code, text
            assert link.group(1) == f"{stack.url}/device?user_code={code.group(1)}"

            # The operator opens the link: the SPA asks them to sign in, then shows the request.
            page = spa_context()
            page.goto(link.group(1))
            expect(page).to_have_url(re.compile(r"/signin\?"))
            it_operator = account("it_operator")
            page.locator("#username").fill(it_operator.username)
            page.locator("#password").fill(it_operator.password)
            page.locator("form button[type=submit]").click()
            page.locator("#code").wait_for()
            spa_submit_fresh_totp(page, it_operator)
            expect(page).to_have_url(re.compile(r"/device\?user_code="))
            heading = page.get_by_role("heading", level=1)
            expect(heading).to_have_text("Đăng nhập cho công cụ dòng lệnh")
            expect(page.get_by_label("Mã", exact=True)).to_have_value(code.group(1))
            assert axe_violations(page) == []
            page.get_by_role("button", name="Tiếp tục").click()
            expect(page.get_by_test_id("device-client")).to_contain_text("camwatch-cli")
            assert axe_violations(page) == []
            page.get_by_role("button", name="Chấp thuận").click()
            expect(page.get_by_test_id("device-done")).to_contain_text("Đã chấp thuận")

            out = command.stdout.read() if command.stdout else ""  # to its end
            command.wait(timeout=300)
            while line := err.get(timeout=30):  # what it said after the code, to its end
                printed.append(line)
            rest = "".join(printed)
            assert command.returncode == 0, out + rest
            assert "Signed in." in rest and "backup written and verified" in out
            assert "Bearer" not in out + rest
            read = api.get(f"/maintenance/{notice_id}", headers=operator).json()
            assert read["description"] == right
            done = api.get(f"/corrections/{correction_id}", headers=head).json()
            assert done["status"] == "applied"
            assert done["applied_by"] == _subject(operator)  # the approving person, as themself
            # The page in both languages (saved under test-artifacts/, checked with axe-core).
            _visit_every_page(
                page, stack.url, "it_operator", {"device": "/device?user_code=BDFG-HJKL"}
            )
        finally:
            if command.poll() is None:
                command.kill()
                command.wait()
