"""The lifecycle through the API: detected -> notified -> plan agreed -> restored -> closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from incidents.incident.models import TimelineEntry
from servicekit.events import pending_count
from servicekit.pagination import encode_cursor


def _incident(client, incident_id, headers):
    response = client.get(f"/incidents/{incident_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_full_lifecycle_and_timeline(
    client, registry, file_notice, epe_headers, officer_headers, clock
) -> None:
    incident_id = file_notice().json()["incident_id"]
    etag = _incident(client, incident_id, officer_headers).headers["ETag"]

    stale = client.post(
        f"/incidents/{incident_id}/plan",
        json={"plan": "Công chức kiểm tra trực tiếp tại kho"},
        headers={**officer_headers, "If-Match": '"v999"'},
    )
    assert stale.status_code == 412
    plan = client.post(
        f"/incidents/{incident_id}/plan",
        json={"plan": "Công chức kiểm tra trực tiếp tại kho nguyên liệu hai lần mỗi ngày"},
        headers={**officer_headers, "If-Match": etag},
    )
    assert plan.status_code == 200, plan.text
    assert plan.json()["state"] == "plan_agreed"
    assert plan.headers["ETag"] != etag

    # Only the EPE reports restoration, and only customs closes.
    assert (
        client.post(
            f"/incidents/{incident_id}/restoration",
            json={"restored_at": clock.now().isoformat()},
            headers=officer_headers,
        ).status_code
        == 403
    )
    clock.advance(timedelta(days=1))
    restored = client.post(
        f"/incidents/{incident_id}/restoration",
        json={"restored_at": (clock.now() - timedelta(hours=1)).isoformat(), "note": "Đã thay"},
        headers=epe_headers,
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["state"] == "restored"
    assert restored.json()["promptness"] == "early"
    assert (
        client.post(f"/incidents/{incident_id}/closure", json={}, headers=epe_headers).status_code
        == 403
    )
    closed = client.post(
        f"/incidents/{incident_id}/closure", json={"note": "Đã kiểm tra"}, headers=officer_headers
    )
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    again = client.post(f"/incidents/{incident_id}/closure", json={}, headers=officer_headers)
    assert again.status_code == 409

    timeline = client.get(f"/incidents/{incident_id}/timeline", headers=epe_headers).json()
    actions = [(e["action"], e["actor"]) for e in timeline["data"]]
    assert actions == [
        ("opened", "vendor-epe-1"),
        ("notice_filed", "vendor-epe-1"),
        ("plan_agreed", "officer-an"),
        ("restored", "vendor-epe-1"),
        ("closed", "officer-an"),
    ]
    # Each step published its event through the outbox, in the same transaction.
    with client.app.state.engine.connect() as conn:
        assert pending_count(conn) == 4  # notice filed, plan agreed, restored, closed


def test_timeline_entries_cannot_be_changed(app, client, registry, file_notice) -> None:
    file_notice()
    with Session(app.state.engine) as session:
        entry = session.exec(select(TimelineEntry)).first()
        assert entry is not None
        entry.action = "rewritten"
        session.add(entry)
        try:
            session.commit()
        except RuntimeError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("a timeline entry was edited in place")


def test_a_timeline_cursor_beyond_any_entry_is_refused(
    client, registry, file_notice, epe_headers
) -> None:
    incident_id = file_notice().json()["incident_id"]
    response = client.get(
        f"/incidents/{incident_id}/timeline",
        params={"cursor": encode_cursor(2**64)},
        headers=epe_headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.cursor"


def test_restoration_time_is_checked(client, registry, file_notice, epe_headers, clock) -> None:
    incident_id = file_notice().json()["incident_id"]
    future = client.post(
        f"/incidents/{incident_id}/restoration",
        json={"restored_at": (clock.now() + timedelta(days=1)).isoformat()},
        headers=epe_headers,
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["field"] == "body.restored_at"
    before = client.post(
        f"/incidents/{incident_id}/restoration",
        json={"restored_at": (clock.now() - timedelta(days=3)).isoformat()},
        headers=epe_headers,
    )
    assert before.status_code == 422


def test_promptness_on_time_and_late(
    client, registry, file_notice, notice, epe_headers, officer_headers, clock
) -> None:
    # Channel notice on Monday 20 Jan 2025 09:00: last day Thursday 23 Jan.
    channel = file_notice(notice(kind="transmission_channel", camera_ids=[], channel="internet"))
    incident_id = channel.json()["incident_id"]
    late = file_notice(notice(camera_ids=["cam-2"])).json()["incident_id"]
    clock.set(datetime(2025, 1, 23, 5, 0, tzinfo=UTC))  # Thursday 12:00 local: the last day
    on_time = client.post(
        f"/incidents/{incident_id}/restoration",
        json={"restored_at": clock.now().isoformat()},
        headers=epe_headers,
    )
    assert on_time.json()["promptness"] == "on_time"

    # The equipment incident is left past its deadline (Mon 10 Feb 24:00), with an extension.
    clock.set(datetime(2025, 2, 12, 2, 0, tzinfo=UTC))  # Wednesday 12 Feb: overdue
    incident = _incident(client, late, officer_headers).json()
    assert incident["deadline_date"] == "2025-02-10"
    assert incident["overdue"] is True and incident["extension_required"] is True
    extension = client.post(
        f"/incidents/{late}/extensions",
        json={
            "reasons": "Nhà cung cấp chưa giao camera thay thế",
            "expected_completion_at": "2025-02-14T17:00:00+07:00",
        },
        headers=epe_headers,
    )
    assert extension.status_code == 201, extension.text
    assert extension.json()["filed_on"] == "2025-02-12"
    incident = _incident(client, late, officer_headers).json()
    assert incident["extension_required"] is False
    assert len(incident["extensions"]) == 1
    clock.set(datetime(2025, 2, 14, 2, 0, tzinfo=UTC))
    restored = client.post(
        f"/incidents/{late}/restoration",
        json={"restored_at": clock.now().isoformat()},
        headers=epe_headers,
    )
    assert restored.json()["promptness"] == "late_with_extension"

    summary = client.get("/epes/epe-1/promptness", headers=officer_headers).json()
    assert summary["restored_incidents"] == 2
    assert summary["counts"]["on_time"] == 1
    assert summary["counts"]["late_with_extension"] == 1
    assert summary["early_or_on_time_ratio"] == 0.5


def test_late_without_extension(client, registry, file_notice, epe_headers, clock) -> None:
    incident_id = file_notice().json()["incident_id"]
    clock.set(datetime(2025, 2, 11, 3, 0, tzinfo=UTC))  # Tuesday after the Monday deadline
    restored = client.post(
        f"/incidents/{incident_id}/restoration",
        json={"restored_at": clock.now().isoformat()},
        headers=epe_headers,
    )
    assert restored.json()["promptness"] == "late_without_extension"


def test_recurrence_links_to_the_earlier_incident(
    client, registry, file_notice, epe_headers, officer_headers, clock, app
) -> None:
    first = file_notice().json()["incident_id"]
    clock.advance(timedelta(days=1))
    client.post(
        f"/incidents/{first}/restoration",
        json={"restored_at": clock.now().isoformat()},
        headers=epe_headers,
    )
    clock.advance(timedelta(days=5))
    second = file_notice().json()["incident_id"]
    assert _incident(client, second, officer_headers).json()["previous_incident_id"] == first
    # Beyond the window (30 days by default), no link.
    clock.advance(timedelta(days=1))
    client.post(
        f"/incidents/{second}/restoration",
        json={"restored_at": clock.now().isoformat()},
        headers=epe_headers,
    )
    clock.advance(timedelta(days=31))
    third = file_notice().json()["incident_id"]
    assert _incident(client, third, officer_headers).json()["previous_incident_id"] is None


def test_follow_ups_and_missed_days(
    client, registry, file_notice, officer_headers, head_headers, tokens, clock
) -> None:
    incident_id = file_notice().json()["incident_id"]  # Monday 20 January 2025
    assign = client.post(
        f"/incidents/{incident_id}/assignments",
        json={"officer": "officer-an"},
        headers=officer_headers,
    )
    assert assign.status_code == 403  # only the head appoints
    assign = client.post(
        f"/incidents/{incident_id}/assignments",
        json={"officer": "officer-an"},
        headers=head_headers,
    )
    assert assign.json()["assigned_officers"] == ["officer-an"]
    clock.set(datetime(2025, 1, 21, 3, 0, tzinfo=UTC))  # Tuesday
    recorded = client.post(
        f"/incidents/{incident_id}/follow-ups",
        json={"note": "Doanh nghiệp đang chờ linh kiện"},
        headers=officer_headers,
    )
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["day"] == "2025-01-21" and recorded.json()["working_day"] is True
    other = tokens.headers(
        subject="officer-cuong", roles=["supervisory_officer"], unit="CC-HQ-KCX-TANTHUAN"
    )
    refused = client.post(f"/incidents/{incident_id}/follow-ups", json={"note": "x"}, headers=other)
    assert refused.status_code == 403
    clock.set(datetime(2025, 2, 4, 3, 0, tzinfo=UTC))  # Tuesday 4 February, after Tet
    incident = _incident(client, incident_id, officer_headers).json()
    # Wednesday 22 to Friday 24 January and Monday 3 February had no update; Tet days do not count.
    assert incident["missed_follow_up_days"] == [
        "2025-01-22",
        "2025-01-23",
        "2025-01-24",
        "2025-02-03",
    ]
    listed = client.get(f"/incidents/{incident_id}/follow-ups", headers=officer_headers).json()
    assert [f["note"] for f in listed["data"]] == ["Doanh nghiệp đang chờ linh kiện"]


def test_gate_log_while_a_gate_camera_is_down(
    client, registry, file_notice, notice, epe_headers, officer_headers, clock
) -> None:
    storage = file_notice().json()["incident_id"]
    entry = {
        "plate": "51C 123.45",
        "container_numbers": ["csqu 305438 3"],
        "direction": "entry",
        "occurred_at": clock.now().isoformat(),
    }
    not_gate = client.post(f"/incidents/{storage}/gate-log", json=entry, headers=epe_headers)
    assert not_gate.status_code == 409
    gate = file_notice(notice(camera_ids=["gate-1"])).json()["incident_id"]
    recorded = client.post(f"/incidents/{gate}/gate-log", json=entry, headers=epe_headers)
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["plate"] == "51C-123.45"
    assert recorded.json()["container_numbers"] == ["CSQU3054383"]
    bad_digit = client.post(
        f"/incidents/{gate}/gate-log",
        json={**entry, "container_numbers": ["CSQU3054384"]},
        headers=epe_headers,
    )
    assert bad_digit.status_code == 422
    assert bad_digit.json()["errors"][0]["field"] == "body.container_numbers.0"
    bad_plate = client.post(
        f"/incidents/{gate}/gate-log", json={**entry, "plate": "13A-123.45"}, headers=epe_headers
    )
    assert bad_plate.status_code == 422
    assert bad_plate.json()["errors"][0]["field"] == "body.plate"
    listed = client.get(f"/incidents/{gate}/gate-log", headers=officer_headers).json()
    assert [e["plate"] for e in listed["data"]] == ["51C-123.45"]
    assert (
        client.post(f"/incidents/{gate}/gate-log", json=entry, headers=officer_headers).status_code
        == 403
    )


def test_list_is_paginated(client, registry, file_notice, notice, epe_headers, clock) -> None:
    for camera in ("cam-1", "cam-2", "gate-1"):
        file_notice(notice(camera_ids=[camera]))
        clock.advance(timedelta(minutes=1))
    first = client.get("/incidents", params={"limit": 2}, headers=epe_headers).json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    rest = client.get(
        "/incidents", params={"limit": 2, "cursor": first["next_cursor"]}, headers=epe_headers
    ).json()
    assert len(rest["data"]) == 1 and rest["next_cursor"] is None
    ids = {i["id"] for i in first["data"]} | {i["id"] for i in rest["data"]}
    assert len(ids) == 3
    bad = client.get("/incidents", params={"cursor": "garbage!"}, headers=epe_headers)
    assert bad.status_code == 422
