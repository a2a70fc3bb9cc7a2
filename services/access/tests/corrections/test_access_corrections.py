"""Direct data corrections (seed 2 §3): the IT operator's plan, the head's approval (never the
preparer's), the apply command's claim and report, the minutes, and the audit of every step."""

from __future__ import annotations

import hashlib
import io

from pypdf import PdfReader
from sqlalchemy import text

SHA = "ab" * 32


def plan(**extra):
    return {
        "service": "registry",
        "table": "epes",
        "primary_key": {"id": "EPE-DEMO-01"},
        "changes": {"name": {"from": "Công ty A", "to": "Công ty Cổ phần A"}},
        "reason": "Tên doanh nghiệp nhập sai khi đăng ký (công văn số 12/CV)",
        "supervisors": [
            {"name": "Lê Văn Giám", "position": "Đại diện Cục CNTT và Thống kê hải quan"},
            {"name": "Phạm Thị Sát", "position": "Đại diện Chi cục Hải quan điện tử"},
        ],
        **extra,
    }


def audit_actions(app) -> list[str]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action FROM audit_records WHERE action LIKE 'correction.%' ORDER BY seq")
        )
        return list(rows.scalars())


def events_of(app, kind: str) -> list[str]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(text("SELECT subject FROM event_outbox WHERE type = :t"), {"t": kind})
        return list(rows.scalars())


def test_prepare_approve_apply_and_minutes(app, client, flows):
    operator, head = flows.officer_headers("it_operator"), flows.officer_headers("head")
    auditor = flows.officer_headers("auditor")
    prepared = client.post("/corrections", json=plan(), headers=operator)
    assert prepared.status_code == 201, prepared.text
    correction = prepared.json()
    assert correction["status"] == "pending" and correction["unit"] == "HQ-KCX-BN"
    assert correction["changes"] == {"name": {"from": "Công ty A", "to": "Công ty Cổ phần A"}}
    cid = correction["id"]
    # not applicable before the head approves
    assert client.post(f"/corrections/{cid}/start", headers=operator).status_code == 409
    pending = client.get("/corrections", params={"status": "pending"}, headers=head).json()
    assert [c["id"] for c in pending["data"]] == [cid]
    approved = client.post(
        f"/corrections/{cid}/approve", json={"note": "Đồng ý"}, headers=head
    ).json()
    assert approved["status"] == "approved" and approved["decided_by"]
    assert events_of(app, "access.correction.approved.v1") == [f"correction:{cid}"]
    assert client.post(f"/corrections/{cid}/refuse", json={}, headers=head).status_code == 409
    assert client.get(f"/corrections/{cid}/minutes", headers=auditor).status_code == 404

    started = client.post(f"/corrections/{cid}/start", headers=operator)
    assert started.status_code == 200 and started.json()["status"] == "applying"
    assert client.post(f"/corrections/{cid}/start", headers=operator).status_code == 409
    report = {
        "backup_id": "20261130T220000Z",
        "backup_sha256": SHA,
        "rows_touched": 1,
        "before": {"name": "Công ty A"},
        "after": {"name": "Công ty Cổ phần A"},
    }
    wrong = client.post(
        f"/corrections/{cid}/applied",
        json={**report, "after": {"name": "something else"}},
        headers=operator,
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "body.after"
    done = client.post(f"/corrections/{cid}/applied", json=report, headers=operator)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "applied" and body["backup_id"] == "20261130T220000Z"
    assert body["before"] == {"name": "Công ty A"} and body["rows_touched"] == 1
    assert events_of(app, "access.correction.applied.v1") == [f"correction:{cid}"]

    for reader in (auditor, head, operator):
        pdf = client.get(f"/corrections/{cid}/minutes", headers=reader)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == body["minutes_sha256"]
    printed = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in (
        "BIÊN BẢN SỬA ĐỔI TRỰC TIẾP DỮ LIỆU",
        cid,
        "Lê Văn Giám",
        "Phạm Thị Sát",
        "20261130T220000Z",
        "Công ty Cổ phần A",
        "Đồng ý",
    ):
        assert expected in printed, expected
    assert audit_actions(app) == [
        "correction.prepared",
        "correction.approved",
        "correction.apply_started",
        "correction.applied",
    ]


def test_bad_plans_are_refused_naming_the_field(client, flows):
    operator = flows.officer_headers("it_operator")
    cases = [
        (plan(service="nowhere"), "body.service"),
        (plan(table="epes; DROP TABLE x"), "body.table"),
        (plan(supervisors=[]), "body.supervisors"),
        (plan(changes={}), "body.changes"),
        (plan(changes={"name": {"to": "x"}}), "body.changes.name.from"),
        (
            plan(changes={"id": {"from": "a", "to": "b"}}, primary_key={"id": "a"}),
            "body.changes.id",
        ),
        (plan(changes={"name": {"from": "a", "to": "a"}}), "body.changes.name"),
        (plan(reason="short"), "body.reason"),
        (plan(extra_field=1), "body.extra_field"),
    ]
    for body, field in cases:
        response = client.post("/corrections", json=body, headers=operator)
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        fields = [e["field"] for e in response.json()["errors"]]
        assert any(f.startswith(field) for f in fields), (field, fields)


def test_the_head_decides_never_the_preparer_and_only_in_their_unit(client, flows, world):
    operator = flows.officer_headers("it_operator")
    cid = client.post("/corrections", json=plan(), headers=operator).json()["id"]
    other_head = flows.officer_headers("other_head")
    refused = client.post(f"/corrections/{cid}/approve", json={}, headers=other_head)
    assert refused.status_code == 403
    # another unit's head does not even see it
    assert client.get(f"/corrections/{cid}", headers=other_head).status_code == 404
    head = flows.officer_headers("head")
    declined = client.post(
        f"/corrections/{cid}/refuse", json={"note": "Chưa đủ căn cứ"}, headers=head
    ).json()
    assert declined["status"] == "refused"
    assert client.post(f"/corrections/{cid}/start", headers=operator).status_code == 409


def test_a_failed_apply_closes_the_plan_and_is_audited(app, client, flows):
    operator, head = flows.officer_headers("it_operator"), flows.officer_headers("head")
    cid = client.post("/corrections", json=plan(), headers=operator).json()["id"]
    client.post(f"/corrections/{cid}/approve", json={}, headers=head)
    assert (
        client.post(
            f"/corrections/{cid}/failed", json={"reason": "x y z"}, headers=operator
        ).status_code
        == 409
    )
    client.post(f"/corrections/{cid}/start", headers=operator)
    failed = client.post(
        f"/corrections/{cid}/failed",
        json={"reason": "name no longer holds 'Công ty A'", "backup_id": "20261130T220000Z"},
        headers=operator,
    ).json()
    assert failed["status"] == "failed" and "no longer holds" in failed["failure"]
    assert client.post(f"/corrections/{cid}/start", headers=operator).status_code == 409
    assert client.get(f"/corrections/{cid}/minutes", headers=operator).status_code == 404
    assert audit_actions(app)[-1] == "correction.failed"
