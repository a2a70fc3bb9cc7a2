"""The chain of custody: a record per action, readable by the right officials, append-only in
the database, and a rewrite with database rights (edit, removal of the tail) is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from evidence.custody.anchoring import anchor
from evidence.custody.models import CustodyAction
from evidence.custody.service import Actor, record_custody
from servicekit.auth import Role

from ..conftest import UNIT, Feed

BODY: dict[str, Any] = {
    "epe_id": "epe-1",
    "cameras": ["cam-1"],
    "time_ranges": [{"start": "2025-01-18T01:00:00Z", "end": "2025-01-18T03:00:00Z"}],
    "reason": "Đối chiếu container",
}


def _request(client: TestClient, headers: dict[str, str]) -> str:
    made = client.post("/requests", json=BODY, headers=headers)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _tamper(app: FastAPI, *statements: str) -> None:
    """What someone with database rights could do: drop the guard, then edit."""
    engine = app.state.engine
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER custody_records_no_update"))
            conn.execute(text("DROP TRIGGER custody_records_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER custody_records_no_change ON custody_records"))
        for statement in statements:
            conn.execute(text(statement))


def _record(app: FastAPI, request_id: str, action: CustodyAction) -> None:
    with Session(app.state.engine) as session:
        record_custody(
            session,
            action=action,
            actor=Actor("officer-an", Role.SUPERVISORY_OFFICER.value),
            request_id=request_id,
            at=datetime(2025, 1, 21, tzinfo=UTC),
            source="10.0.0.9",
            sha256="ab" * 32,
        )
        session.commit()


def test_a_request_is_recorded_with_who_when_and_from_where(
    client: TestClient,
    feed: Feed,
    officer_headers: dict[str, str],
    epe_headers: dict[str, str],
    tokens: Any,
) -> None:
    request_id = _request(client, officer_headers)
    trail = client.get(f"/requests/{request_id}/custody", headers=officer_headers)
    assert trail.status_code == 200, trail.text
    [first] = trail.json()["data"]
    assert first["action"] == "requested"
    assert (first["actor"], first["actor_role"]) == ("officer-an", "supervisory_officer")
    assert first["source"] == "testclient"
    assert first["at"] == "2025-01-20T02:00:00Z"
    assert first["seq"] == 1 and len(first["mac"]) == 64

    auditor = tokens.headers(subject="aud", roles=[Role.AUDITOR], unit=UNIT)
    assert client.get(f"/requests/{request_id}/custody", headers=auditor).status_code == 200
    other = tokens.headers(subject="officer-x", roles=[Role.SUPERVISORY_OFFICER], unit=UNIT)
    assert client.get(f"/requests/{request_id}/custody", headers=other).status_code == 404
    assert client.get(f"/requests/{request_id}/custody", headers=epe_headers).status_code == 403
    assert client.get("/custody/verify", headers=epe_headers).status_code == 403
    assert client.get("/custody/verify", headers=officer_headers).status_code == 403


def test_the_trail_pages_in_chain_order(
    client: TestClient, app: FastAPI, feed: Feed, head_headers: dict[str, str]
) -> None:
    request_id = _request(client, head_headers)
    for action in (CustodyAction.UPLOADED, CustodyAction.SEALED, CustodyAction.VIEWED):
        _record(app, request_id, action)
    first = client.get(
        f"/requests/{request_id}/custody", params={"limit": 3}, headers=head_headers
    ).json()
    assert [r["action"] for r in first["data"]] == ["requested", "uploaded", "sealed"]
    rest = client.get(
        f"/requests/{request_id}/custody",
        params={"limit": 3, "cursor": first["next_cursor"]},
        headers=head_headers,
    ).json()
    assert [r["action"] for r in rest["data"]] == ["viewed"]
    assert rest["next_cursor"] is None


def test_the_database_refuses_to_change_or_remove_a_record(
    client: TestClient, app: FastAPI, feed: Feed, head_headers: dict[str, str]
) -> None:
    _request(client, head_headers)
    for statement in ("UPDATE custody_records SET actor = 'x'", "DELETE FROM custody_records"):
        with pytest.raises(DBAPIError, match="append-only"), app.state.engine.begin() as conn:
            conn.execute(text(statement))


def test_an_edited_record_is_named(
    client: TestClient, app: FastAPI, feed: Feed, head_headers: dict[str, str], tokens: Any
) -> None:
    request_id = _request(client, head_headers)
    _record(app, request_id, CustodyAction.UPLOADED)
    _record(app, request_id, CustodyAction.DOWNLOADED)
    verified = client.get("/custody/verify", headers=head_headers).json()
    assert verified["ok"] is True and verified["records_checked"] == 3

    _tamper(app, "UPDATE custody_records SET actor = 'someone-else' WHERE seq = 3")
    auditor = tokens.headers(subject="aud", roles=[Role.AUDITOR], unit=UNIT)
    verified = client.get("/custody/verify", headers=auditor).json()
    assert verified["ok"] is False
    assert verified["first_broken"]["seq"] == 3
    assert "altered" in verified["first_broken"]["problem"]


def test_a_removed_tail_is_caught_by_the_anchor(
    client: TestClient, app: FastAPI, feed: Feed, head_headers: dict[str, str]
) -> None:
    request_id = _request(client, head_headers)
    _record(app, request_id, CustodyAction.UPLOADED)
    _record(app, request_id, CustodyAction.SEALED)
    now = datetime.now(UTC)
    anchored = anchor(
        app.state.engine,
        app.state.anchor_store,
        now=now,
        interval=timedelta(hours=1),
    )
    assert anchored is not None and anchored.seq == 3
    # not due again, nothing moved: no second anchor
    assert (
        anchor(
            app.state.engine,
            app.state.anchor_store,
            now=now + timedelta(minutes=1),
            interval=timedelta(hours=1),
        )
        is None
    )
    with Session(app.state.engine) as session:
        mac2 = session.execute(text("SELECT mac FROM custody_records WHERE seq = 2")).scalar_one()
    # remove the last record and point the head at the one before: consistent inside the DB
    _tamper(
        app,
        "DELETE FROM custody_records WHERE seq = 3",
        f"UPDATE custody_head SET last_seq = 2, last_mac = '{mac2}'",
    )
    verified = client.get("/custody/verify", headers=head_headers).json()
    assert verified["ok"] is False
    assert verified["anchors_checked"] == 1
    assert verified["first_broken"]["seq"] == 3
    assert "anchor" in verified["first_broken"]["problem"]
