"""A direct data correction through the running stack (seed 2 §3): the IT operator's plan, the
head's approval, `python -m servicekit.corrections apply` with the target service's
environment and the operator's token through the gateway, the minutes read by the auditor; an
append-only table is refused and left as written."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pypdf import PdfReader

SUPERVISORS = [
    {"name": "Lê Văn Giám", "position": "Đại diện Cục Công nghệ thông tin"},
    {"name": "Phạm Thị Sát", "position": "Đại diện Chi cục Hải quan điện tử"},
]


def _apply(stack, correction_id: str, headers: dict[str, str], backups: Path):
    token = headers["Authorization"].removeprefix("Bearer ")
    env = {**stack.env, "CAMWATCH_GATEWAY_URL": stack.url, "CAMWATCH_TOKEN": token}
    return subprocess.run(
        [
            sys.executable,
            *("-m", "servicekit.corrections", "apply", correction_id),
            *("--backup-dir", str(backups)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@contextmanager
def _notice_to_correct(
    api: httpx.Client, operator: dict[str, str], *, title: str, description: str, days: int
) -> Iterator[str]:
    """A planned maintenance notice (starting in `days` days) whose description a test corrects;
    yields its id and cancels it afterwards."""
    starts = datetime.now(UTC) + timedelta(days=days)
    notice = api.post(
        "/maintenance",
        json={
            "kind": "planned",
            "title": title,
            "description": description,
            "affects": ["registry"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        },
        headers=operator,
    )
    assert notice.status_code == 201, notice.text
    notice_id = str(notice.json()["id"])
    try:
        yield notice_id
    finally:
        api.post(
            f"/maintenance/{notice_id}/updates",
            json={"state": "cancelled", "text": "Kiểm thử xong"},
            headers=operator,
        )


def _approved(api: httpx.Client, plan: dict, operator, head) -> str:
    prepared = api.post("/corrections", json=plan, headers=operator)
    assert prepared.status_code == 201, prepared.text
    correction_id = str(prepared.json()["id"])
    approved = api.post(
        f"/corrections/{correction_id}/approve", json={"note": "Đồng ý"}, headers=head
    )
    assert approved.status_code == 200, approved.text
    return correction_id


def test_a_correction_planned_approved_applied_with_minutes(stack, officer_session, tmp_path):
    operator = officer_session("it_operator").headers()
    head = officer_session("head").headers()
    auditor = officer_session("auditor").headers()
    with httpx.Client(base_url=f"{stack.url}/api/access", timeout=60) as api:
        with _notice_to_correct(
            api, operator, title="Kiểm thử sửa dữ liệu", description="Mô tả nhập sai", days=6
        ) as notice_id:
            correction_id = _approved(
                api,
                {
                    "service": "access",
                    "table": "maintenance_notices",
                    "primary_key": {"id": notice_id},
                    "changes": {"description": {"from": "Mô tả nhập sai", "to": "Mô tả đúng"}},
                    "reason": "Mô tả thông báo bảo trì nhập sai (kiểm thử đầu cuối)",
                    "supervisors": SUPERVISORS,
                },
                operator,
                head,
            )
            done = _apply(stack, correction_id, operator, tmp_path / "backups")
            assert done.returncode == 0, done.stdout + done.stderr
            assert "backup written and verified" in done.stdout
            read = api.get(f"/maintenance/{notice_id}", headers=operator).json()
            assert read["description"] == "Mô tả đúng"
            correction = api.get(f"/corrections/{correction_id}", headers=auditor).json()
            assert correction["status"] == "applied" and correction["rows_touched"] == 1
            assert (tmp_path / "backups" / "corrections" / correction_id).is_dir()
            minutes = api.get(f"/corrections/{correction_id}/minutes", headers=auditor)
            assert minutes.status_code == 200, minutes.text
            text = "\n".join(
                page.extract_text() for page in PdfReader(io.BytesIO(minutes.content)).pages
            )
            for expected in ("BIÊN BẢN", correction["backup_id"], "Lê Văn Giám", "Mô tả đúng"):
                assert expected in text, expected
            again = _apply(stack, correction_id, operator, tmp_path / "backups")
            assert again.returncode == 1 and "not approved" in again.stderr

        refused_id = _approved(
            api,
            {
                "service": "access",
                "table": "audit_records",
                "primary_key": {"seq": 1},
                "changes": {"action": {"from": "anything", "to": "rewritten"}},
                "reason": "Thử sửa nhật ký kiểm tra (phải bị từ chối)",
                "supervisors": SUPERVISORS,
            },
            operator,
            head,
        )
        refused = _apply(stack, refused_id, operator, tmp_path / "backups")
        assert refused.returncode == 1 and "append-only" in refused.stderr, refused.stderr
        failed = api.get(f"/corrections/{refused_id}", headers=auditor).json()
        assert failed["status"] == "failed" and "append-only" in failed["failure"]
