"""The audit log: hash chain, tamper detection (behind the API), append-only at the database,
corrections as new records, export of a time range."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from access.audit import service as audit
from access.context import AuditContext
from servicekit.pagination import encode_cursor


def test_chain_verifies_and_records_carry_request_ids(client, flows, world):
    auditor = flows.officer_headers("auditor")
    client.get("/users", headers={**auditor, "X-Request-ID": "req-123"})
    admin = flows.officer_headers("admin")
    client.post(
        "/users",
        json={"username": "mai.van.n", "full_name": "Mai Văn N", "unit": "HQ-KCX-BN"},
        headers={**admin, "X-Request-ID": "req-456"},
    )
    records = client.get(
        "/audit/records", params={"action": "officer.created"}, headers=auditor
    ).json()["data"]
    assert records[-1]["request_id"] == "req-456"
    assert records[-1]["actor"] == f"user:{world.user_id('admin')}"
    result = client.get("/audit/verify", headers=auditor).json()
    assert result["ok"] is True and result["records_checked"] > 10


def drop_append_only(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER audit_records_no_update"))
        conn.execute(text("DROP TRIGGER audit_records_no_delete"))
    else:
        conn.execute(text("DROP TRIGGER audit_records_no_change ON audit_records"))


def test_database_refuses_update_and_delete(world):
    with pytest.raises((DBAPIError, IntegrityError)), world.engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET reason = 'edited' WHERE seq = 1"))
    with pytest.raises((DBAPIError, IntegrityError)), world.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 2"))


def test_tampering_behind_the_api_is_detected_and_named(client, flows, world):
    auditor = flows.officer_headers("auditor")
    assert client.get("/audit/verify", headers=auditor).json()["ok"] is True
    # a database administrator removes the protection and edits record 5
    with world.engine.begin() as conn:
        drop_append_only(conn)
        conn.execute(text("UPDATE audit_records SET actor = 'someone-else' WHERE seq = 5"))
        broken_id = conn.execute(text("SELECT id FROM audit_records WHERE seq = 5")).scalar_one()
    result = client.get("/audit/verify", headers=auditor).json()
    assert result["ok"] is False
    assert result["first_broken"]["seq"] == 5 and result["first_broken"]["id"] == broken_id
    assert "altered" in result["first_broken"]["problem"]


def test_deleting_a_record_or_the_tail_is_detected(world):
    with world.engine.begin() as conn:
        drop_append_only(conn)
        last = conn.execute(text("SELECT max(seq) FROM audit_records")).scalar_one()
        conn.execute(text("DELETE FROM audit_records WHERE seq = :seq"), {"seq": last})
    with world.session() as session:
        result = audit.verify_chain(session)
    assert result.ok is False and result.first_broken is not None
    assert result.first_broken.seq == last
    with world.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 3"))
    with world.session() as session:
        result = audit.verify_chain(session)
    assert result.first_broken is not None
    assert result.first_broken.seq == 3 and result.first_broken.id is None  # the missing one


def test_corrections_are_new_records(client, flows, world):
    auditor = flows.officer_headers("auditor")
    original = client.get("/audit/records", params={"limit": 1}, headers=auditor).json()["data"][0]
    correction = client.post(
        f"/audit/records/{original['seq']}/corrections",
        json={
            "reason": "the unit name was wrong in the decision",
            "details": {"unit": "HQ-KCX-BN"},
        },
        headers=auditor,
    )
    assert correction.status_code == 201
    assert (
        correction.json()["corrects"] == original["seq"]
        and correction.json()["seq"] > original["seq"]
    )
    unchanged = client.get("/audit/records", params={"limit": 1}, headers=auditor).json()["data"][0]
    assert unchanged == original
    assert client.get("/audit/verify", headers=auditor).json()["ok"] is True


def test_sequence_numbers_beyond_the_column_are_refused_naming_the_field(client, flows):
    auditor = flows.officer_headers("auditor")
    body = {"reason": "a record that cannot exist", "details": {}}
    beyond = client.post(f"/audit/records/{2**31}/corrections", json=body, headers=auditor)
    cursor = encode_cursor(2**64)
    page = client.get("/audit/records", params={"cursor": cursor}, headers=auditor)
    assert beyond.status_code == 422
    assert beyond.json()["errors"][0]["field"] == "path.seq"
    assert page.status_code == 422
    assert page.json()["errors"][0]["field"] == "query.cursor"


def test_export_a_time_range(client, flows, world, clock):
    auditor = flows.officer_headers("auditor")
    start = clock()
    clock.advance(60)
    with world.session() as session:
        audit.record(
            session,
            context=AuditContext.system("test"),
            action="test.inside",
            occurred_at=clock(),
        )
        session.commit()
    end = clock() + timedelta(seconds=1)
    response = client.get(
        "/audit/export",
        params={"since": start.isoformat(), "until": end.isoformat()},
        headers=auditor,
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert any(r["action"] == "test.inside" for r in lines)
    assert all(start.isoformat() <= r["occurred_at"].replace("Z", "+00:00") for r in lines)
    before = client.get("/audit/export", params={"until": start.isoformat()}, headers=auditor)
    assert all(json.loads(line)["action"] != "test.inside" for line in before.text.splitlines())
    bad = client.get(
        "/audit/export",
        params={"since": end.isoformat(), "until": start.isoformat()},
        headers=auditor,
    )
    assert bad.status_code == 422
    assert client.get("/audit/export", headers=flows.officer_headers("officer")).status_code == 403


def test_time_filters_at_the_edges_are_refused_by_name(client, flows):
    auditor = flows.officer_headers("auditor")
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        for path in ("/audit/records", "/audit/export"):
            for name in ("since", "until"):
                response = client.get(path, params={name: moment}, headers=auditor)
                assert response.status_code == 422, response.text
                assert response.json()["errors"][0]["field"] == f"query.{name}"
