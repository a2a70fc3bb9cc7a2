"""Share links: one named recipient, an expiry, a download allowance, revocation; the token is
the credential and is stored only as its hash; every step is in the custody chain."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyRecord
from evidence.shares.models import Share
from servicekit.clock import ManualClock
from servicekit.events.outbox import TABLES

from ..conftest import Feed
from ..sealed import NOTE, VIDEO, Sealed, seal_package


def _share(
    client: TestClient, clock: ManualClock, sealed: Sealed, headers: dict[str, str], **extra: Any
) -> dict[str, Any]:
    body = {
        "recipient_name": "Nguyễn Văn Hùng",
        "recipient_authority": "Cơ quan Cảnh sát điều tra, Công an TP. Hồ Chí Minh",
        "purpose": "Điều tra vụ việc container 18/01",
        "expires_at": (clock.now() + timedelta(days=7)).isoformat(),
        "max_downloads": 2,
        **extra,
    }
    made = client.post(f"/packages/{sealed.package_id}/shares", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return dict(made.json())


def _actions(app: FastAPI, package_id: str) -> list[str]:
    with Session(app.state.engine) as session:
        query = (
            select(CustodyRecord.action)
            .where(CustodyRecord.package_id == package_id)
            .order_by(col(CustodyRecord.seq))
        )
        return list(session.exec(query).all())


def test_a_recipient_opens_the_link_without_signing_in_and_streams_with_range(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    share = _share(client, clock, sealed, officer_headers)
    token = share["token"]
    assert share["path"] == f"/api/evidence/shared/{token}"
    assert share["state"] == "active"
    assert share["bytes_allowed"] == 2 * (len(VIDEO) + len(NOTE))
    with Session(app.state.engine) as session:
        stored = session.exec(select(Share)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in json.dumps(stored.model_dump(mode="json"))

    opened = client.get(f"/shared/{token}")
    assert opened.status_code == 200, opened.text
    files = {f["name"]: f for f in opened.json()["files"]}
    assert files["cam-1.mp4"]["sha256"] == hashlib.sha256(VIDEO).hexdigest()
    part = client.get(f"/shared/{token}/files/{sealed.video_id}", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == VIDEO[10:20]
    whole = client.get(f"/shared/{token}/files/{sealed.note_id}")
    assert whole.status_code == 200
    assert whole.content == NOTE

    listed = client.get(f"/packages/{sealed.package_id}/shares", headers=officer_headers).json()
    [seen] = listed["data"]
    assert "token" not in seen
    assert seen["opened_count"] == 3
    assert seen["bytes_served"] == 10 + len(NOTE)
    assert _actions(app, sealed.package_id) == [
        "sealed",
        "shared",
        "share_opened",
        "share_opened",
        "share_opened",
    ]
    with Session(app.state.engine) as session:
        opening = session.exec(
            select(CustodyRecord).where(CustodyRecord.action == "share_opened")
        ).all()[1]
        assert opening.actor_role == "share_recipient"
        assert opening.file_id == sealed.video_id
        assert opening.sha256 == hashlib.sha256(VIDEO).hexdigest()
    with app.state.engine.connect() as conn:
        events = [
            json.loads(r[0])
            for r in conn.execute(
                sa_select(TABLES.outbox.c.envelope).where(
                    TABLES.outbox.c.type == "evidence.share.created.v1"
                )
            )
        ]
    assert [e["data"]["share_id"] for e in events] == [share["id"]]
    assert token not in json.dumps(events)
    assert stored.token_hash not in json.dumps(events)


def test_expired_revoked_used_up_and_unknown_links_are_refused(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    officer_headers: dict[str, str],
    head_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    expiring = _share(client, clock, sealed, officer_headers)
    revoked = _share(client, clock, sealed, officer_headers)
    used_up = _share(client, clock, sealed, officer_headers, max_downloads=1)

    withdraw = client.post(
        f"/shares/{revoked['id']}/revoke", json={"reason": "Sai người nhận"}, headers=head_headers
    )
    assert withdraw.status_code == 200, withdraw.text
    assert withdraw.json()["state"] == "revoked"
    again = client.post(
        f"/shares/{revoked['id']}/revoke", json={"reason": "Lần nữa"}, headers=head_headers
    )
    assert again.status_code == 409
    gone = client.get(f"/shared/{revoked['token']}")
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert "revoked" in gone.json()["detail"]

    for file_id in (sealed.video_id, sealed.note_id):
        assert client.get(f"/shared/{used_up['token']}/files/{file_id}").status_code == 200
    exhausted = client.get(f"/shared/{used_up['token']}/files/{sealed.note_id}")
    assert exhausted.status_code == 403
    assert "used up" in exhausted.json()["detail"]

    assert client.get(f"/shared/{expiring['token']}").status_code == 200
    clock.advance(timedelta(days=7))
    expired = client.get(f"/shared/{expiring['token']}/files/{sealed.note_id}")
    assert expired.status_code == 410
    assert "expired" in expired.json()["detail"]

    assert client.get("/shared/" + "A" * 43).status_code == 404
    assert "share_revoked" in _actions(app, sealed.package_id)


def test_who_may_share_and_what_is_refused(
    client: TestClient,
    app: FastAPI,
    feed: Feed,
    clock: ManualClock,
    tokens: Any,
    officer_headers: dict[str, str],
) -> None:
    sealed = seal_package(app, clock.now())
    url = f"/packages/{sealed.package_id}/shares"
    body = {
        "recipient_name": "A",
        "recipient_authority": "B",
        "purpose": "C",
        "expires_at": (clock.now() + timedelta(days=1)).isoformat(),
        "max_downloads": 1,
    }
    auditor = tokens.headers(subject="auditor-dung", roles=["auditor"], unit="CC-HQ-KCX-TANTHUAN")
    assert client.post(url, json=body, headers=auditor).status_code == 403
    assert client.get(url, headers=auditor).status_code == 200
    for field, value in (
        ("expires_at", (clock.now() - timedelta(hours=1)).isoformat()),
        ("expires_at", (clock.now() + timedelta(days=31)).isoformat()),
        ("max_downloads", 0),
        ("recipient_name", ""),
        ("token", "x"),
    ):
        refused = client.post(url, json={**body, field: value}, headers=officer_headers)
        assert refused.status_code == 422, (field, refused.text)
        assert f"body.{field}" in [e["field"] for e in refused.json()["errors"]]
