"""Operations notices (seed 2 §2): planned maintenance 5 days ahead or an emergency the head
approves, breakdowns at once with updates until resolved; every step published and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

NOW = datetime.now(UTC)


def planned(days: float, **extra):
    starts = NOW + timedelta(days=days)
    return {
        "kind": "planned",
        "title": "Nâng cấp cơ sở dữ liệu",
        "description": "Hệ thống tạm dừng để nâng cấp",
        "affects": ["registry", "incidents"],
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        **extra,
    }


def events_of(app, kind: str) -> list[str]:
    with app.state.engine.connect() as conn:
        rows = conn.execute(text("SELECT subject FROM event_outbox WHERE type = :t"), {"t": kind})
        return list(rows.scalars())


def test_planned_maintenance_needs_five_days_notice(app, client, flows):
    operator = flows.officer_headers("it_operator")
    short = client.post("/maintenance", json=planned(4), headers=operator)
    assert short.status_code == 422
    assert short.json()["errors"][0]["field"] == "body.starts_at"
    timely = client.post("/maintenance", json=planned(6), headers=operator)
    assert timely.status_code == 201, timely.text
    notice = timely.json()
    assert notice["state"] == "announced" and notice["affects"] == ["registry", "incidents"]
    assert events_of(app, "access.maintenance.announced.v1") == [f"maintenance:{notice['id']}"]
    # an EPE's vendor software and a customs system read it
    for reader in (flows.client_headers("epe_vendor_1"), flows.client_headers("customs_system")):
        current = client.get("/maintenance", params={"current": True}, headers=reader).json()
        assert [n["id"] for n in current["data"]] == [notice["id"]]


def test_an_emergency_waits_for_the_head(app, client, flows):
    operator, head = flows.officer_headers("it_operator"), flows.officer_headers("head")
    body = planned(1, emergency=True, emergency_reason="Lỗ hổng bảo mật phải vá ngay")
    proposed = client.post("/maintenance", json=body, headers=operator).json()
    assert proposed["state"] == "awaiting_approval"
    assert events_of(app, "access.maintenance.announced.v1") == []
    vendor = flows.client_headers("epe_vendor_1")
    assert client.get(f"/maintenance/{proposed['id']}", headers=vendor).status_code == 404
    assert client.get("/maintenance", headers=vendor).json()["data"] == []
    decided = client.post(
        f"/maintenance/{proposed['id']}/decision",
        json={"approve": True, "reason": "Đồng ý vá khẩn cấp"},
        headers=head,
    )
    assert decided.status_code == 200 and decided.json()["state"] == "announced"
    assert len(events_of(app, "access.maintenance.announced.v1")) == 1
    again = client.post(
        f"/maintenance/{proposed['id']}/decision",
        json={"approve": False, "reason": "late"},
        headers=head,
    )
    assert again.status_code == 409
    with app.state.engine.connect() as conn:
        actions = list(
            conn.execute(
                text(
                    "SELECT action FROM audit_records WHERE action LIKE 'maintenance.%' ORDER BY seq"
                )
            ).scalars()
        )
    assert actions == ["maintenance.emergency_proposed", "maintenance.emergency_approved"]


def test_a_breakdown_is_announced_at_once_and_updated_until_resolved(app, client, flows):
    operator = flows.officer_headers("it_operator")
    breakdown = client.post(
        "/maintenance",
        json={
            "kind": "breakdown",
            "title": "Mất kết nối NATS",
            "description": "Sự kiện chậm",
            "affects": ["all"],
        },
        headers=operator,
    ).json()
    assert breakdown["state"] == "in_progress"
    path = f"/maintenance/{breakdown['id']}/updates"
    progress = client.post(
        path, json={"state": "in_progress", "text": "Đang khởi động lại"}, headers=operator
    )
    assert progress.status_code == 200
    cancel = client.post(path, json={"state": "cancelled", "text": "not needed"}, headers=operator)
    assert cancel.status_code == 409 and cancel.json()["errors"][0]["field"] == "body.state"
    resolved = client.post(
        path, json={"state": "completed", "text": "Đã khắc phục"}, headers=operator
    )
    assert resolved.json()["state"] == "completed"
    assert [u["state"] for u in resolved.json()["updates"]] == [
        "in_progress",
        "in_progress",
        "completed",
    ]
    assert len(events_of(app, "access.maintenance.updated.v1")) == 2
    after = client.post(path, json={"state": "in_progress", "text": "again"}, headers=operator)
    assert after.status_code == 409
    with app.state.engine.connect() as conn:  # updates are kept as written
        try:
            conn.execute(text("UPDATE maintenance_updates SET text = 'edited'"))
            raise AssertionError("the update was edited")
        except Exception as exc:
            assert "append-only" in str(exc)
