"""Anchoring the audit chain: the database timer (one anchor per tick, even with two replicas
racing), the S3 object and the event, the on-demand endpoint, and the production rule."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from access.audit import service as audit
from access.audit.anchoring import anchor, read_anchors
from access.context import AuditContext
from access.settings import Settings
from servicekit.db import make_engine

from ..conftest import make_settings


@pytest.fixture
def access_settings(database, tmp_path, s3) -> Settings:
    return make_settings(
        database,
        tmp_path,
        audit_anchor_enabled=True,
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        s3_secure=s3.secure,
        audit_anchor_bucket=f"anchors-{uuid.uuid4().hex[:8]}",
    )


def anchored_events(world) -> list[dict]:
    with world.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT envelope FROM event_outbox WHERE type = 'access.audit.anchored.v1' "
                "ORDER BY created_at"
            )
        ).all()
    return [json.loads(row[0])["data"] for row in rows]


def append(world, action: str = "test.action") -> None:
    with world.session() as session:
        audit.record(
            session,
            context=AuditContext.system("test"),
            action=action,
            occurred_at=world.runtime.clock.now(),
        )
        session.commit()


def test_the_timer_anchors_once_per_interval_and_only_a_moved_head(world, clock):
    first = anchor(world.engine, world.runtime)
    assert first is not None
    assert anchor(world.engine, world.runtime) is None  # not due yet
    clock.advance(3601)
    assert anchor(world.engine, world.runtime) is None  # due, but nothing new since
    append(world)
    assert anchor(world.engine, world.runtime) is None  # the empty tick moved the timer on
    clock.advance(3601)
    second = anchor(world.engine, world.runtime)
    assert second is not None and second.seq == first.seq + 1
    assert [a.seq for a in read_anchors(world.runtime)] == [first.seq, second.seq]
    events = anchored_events(world)
    assert [e["seq"] for e in events] == [first.seq, second.seq]
    assert (
        events[-1]["mac"] == second.mac and events[-1]["key_id"] == world.runtime.chain_key.key_id
    )


def test_two_replicas_racing_on_the_timer_anchor_once(world, access_settings):
    other = make_engine(
        access_settings.resolved_database_url, schema=access_settings.database_schema
    )
    audit.bind_key(other, world.runtime.chain_key)
    barrier = threading.Barrier(2)
    results = []

    def replica(engine) -> None:
        barrier.wait()
        results.append(anchor(engine, world.runtime))

    threads = [threading.Thread(target=replica, args=(e,)) for e in (world.engine, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.dispose()
    assert len([r for r in results if r is not None]) == 1
    assert len(read_anchors(world.runtime)) == 1
    assert len(anchored_events(world)) == 1


def test_anchor_on_demand_and_verify_reports_the_anchors(client, flows):
    auditor = flows.officer_headers("auditor")
    assert (
        client.post("/audit/anchors", headers=flows.officer_headers("officer")).status_code == 403
    )
    made = client.post("/audit/anchors", headers=auditor)
    assert made.status_code == 201, made.text
    result = client.get("/audit/verify", headers=auditor).json()
    assert result["ok"] is True and result["anchors_checked"] >= 1
    assert result["last_anchor"]["seq"] >= made.json()["seq"]


def test_production_refuses_a_placeholder_key_and_no_anchors(database, tmp_path):
    production = {
        "environment": "production",
        "oidc_issuer": "https://customs.example/api/access",
        "argon2_memory_cost": 19456,
        "s3_secret_key": "s" * 40,
    }
    with pytest.raises(ValidationError, match="audit_hmac_key"):
        make_settings(database, tmp_path, **production, audit_hmac_key="changethis")
    with pytest.raises(ValidationError, match="audit_anchor_enabled"):
        make_settings(database, tmp_path, **production, audit_hmac_key="k" * 40)
