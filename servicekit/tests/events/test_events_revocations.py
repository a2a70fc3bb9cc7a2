"""Revoked tokens: what the list refuses, that `get_principal` refuses it, and that the feed
replays past revocations at start-up and applies new ones live (a private NATS server)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import MetaData

from devkit.testing.nats import NatsServer
from devkit.testing.tokens import TokenFactory
from servicekit.app import ServiceSpec, create_service_app
from servicekit.auth import CurrentPrincipal
from servicekit.events import CloudEvent, EventBus, attach_event_tables, stream_name
from servicekit.events.bus import OutgoingMessage
from servicekit.events.revocations import (
    REVOCATION_SUBJECT,
    RevocationFeed,
    RevocationList,
    TokensRevoked,
)
from servicekit.settings import ServiceSettings


def revoked(**fields: object) -> TokensRevoked:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "cause": "test",
        "revoked_at": now,
        "expires_at": now + timedelta(minutes=5),
    }
    values.update(fields)
    return TokensRevoked.model_validate(values)


def test_the_list_refuses_revoked_token_ids_and_older_tokens_of_a_subject():
    revocations = RevocationList()
    cutoff = datetime.now(UTC)
    revocations.add(revoked(token_ids=["jti-1"]))
    revocations.add(revoked(subject="user-1", issued_before=cutoff))
    revocations.add(revoked(subject="user-1", issued_before=cutoff))  # replayed: no change
    at = int(cutoff.timestamp())

    assert revocations.refuses({"jti": "jti-1", "sub": "x", "iat": at})
    assert not revocations.refuses({"jti": "jti-2", "sub": "x", "iat": at})
    assert revocations.refuses({"jti": "a", "sub": "user-1", "iat": at - 60})
    assert revocations.refuses({"jti": "b", "sub": "user-1", "iat": at})
    assert not revocations.refuses({"jti": "c", "sub": "user-1", "iat": at + 1})
    assert len(revocations) == 2


def test_revocations_are_forgotten_once_their_tokens_expired(monkeypatch):
    revocations = RevocationList()
    revocations.add(revoked(token_ids=["gone"], expires_at=datetime.now(UTC) - timedelta(1)))
    assert not revocations.refuses({"jti": "gone", "sub": "x", "iat": 0})
    revocations.add(revoked(token_ids=["soon"]))
    later = time.time() + 600
    monkeypatch.setattr(time, "time", lambda: later)
    revocations.add(revoked(token_ids=["new"], expires_at=datetime.now(UTC) + timedelta(hours=1)))
    assert not revocations.refuses({"jti": "soon", "sub": "x", "iat": 0})


def test_get_principal_refuses_a_revoked_token(tmp_path):
    factory = TokenFactory()
    router = APIRouter()

    @router.get("/me")
    def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"sub": principal.subject}

    metadata = MetaData()
    attach_event_tables(metadata)
    settings = ServiceSettings(
        service_name="revtest",
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        events_enabled=False,
        log_json=False,
    )
    spec = ServiceSpec(
        title="t", description="t", settings=settings, metadata=metadata, routers=[router]
    )
    app = create_service_app(spec, token_verifier=factory.verifier())
    token = factory.issue(subject="someone", jti="abc")
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/me", headers=headers).status_code == 200
        app.state.revocations.add(revoked(token_ids=["abc"]))
        refused = client.get("/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "access token has been revoked"


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[str]:
    server = NatsServer(tmp_path / "nats")
    yield server.start()
    server.stop()


async def publish(bus: EventBus, payload: TokensRevoked) -> None:
    event = CloudEvent.new(payload, subject="s")
    await bus.ensure_stream("access")
    message = event.to_json().encode()
    await bus.publish(OutgoingMessage(subject=REVOCATION_SUBJECT, payload=message, msg_id=event.id))


def test_the_feed_replays_past_revocations_then_follows_new_ones(private_nats):
    async def scenario() -> None:
        bus = EventBus(private_nats)
        await bus.connect(within=5)
        for n in range(3):
            await publish(bus, revoked(token_ids=[f"old-{n}"]))
        await publish(bus, revoked(token_ids=["expired"], expires_at=datetime.now(UTC)))
        revocations = RevocationList()
        feed = RevocationFeed(bus=bus, revocations=revocations, window=3600)
        await feed.start()
        try:
            assert feed.caught_up  # start() returned after the replay
            assert all(revocations.refuses({"jti": f"old-{n}"}) for n in range(3))
            await publish(bus, revoked(token_ids=["new"]))
            for _ in range(100):
                if revocations.refuses({"jti": "new"}):
                    break
                await asyncio.sleep(0.02)
            assert revocations.refuses({"jti": "new"})
        finally:
            await feed.stop()
            await bus.close()

    asyncio.run(scenario())


def test_the_feed_starts_with_nothing_to_replay(private_nats):
    async def scenario() -> None:
        bus = EventBus(private_nats)
        await bus.connect(within=5)
        feed = RevocationFeed(bus=bus, revocations=RevocationList(), window=60)
        started = time.monotonic()
        await feed.start()
        try:
            assert feed.caught_up and time.monotonic() - started < 3
        finally:
            await feed.stop()
            await bus.close()

    asyncio.run(scenario())


def test_the_feed_follows_on_after_its_consumer_is_lost(private_nats):
    """Regression (issue 15): when the ordered consumer vanishes (its node died), nats-py
    re-creates it from the stream sequence; the start time must not be sent along with it,
    or the server refuses the new consumer and no later revocation arrives."""

    async def scenario() -> None:
        bus = EventBus(private_nats)
        await bus.connect(within=5)
        await publish(bus, revoked(token_ids=["before"]))
        revocations = RevocationList()
        feed = RevocationFeed(bus=bus, revocations=revocations, window=3600)
        await feed.start()
        admin = await nats.connect(private_nats)
        try:
            jsm = admin.jsm()
            for info in await jsm.consumers_info(stream_name("access")):
                await jsm.delete_consumer(stream_name("access"), info.name)
            # Missed heartbeats (5 s apart) make the client re-create its consumer.
            await asyncio.sleep(12)
            await publish(bus, revoked(token_ids=["after"]))
            for _ in range(300):
                if revocations.refuses({"jti": "after"}):
                    break
                await asyncio.sleep(0.1)
            assert revocations.refuses({"jti": "after"}), "the feed stopped with its consumer"
            assert revocations.refuses({"jti": "before"})
        finally:
            await admin.close()
            await feed.stop()
            await bus.close()

    asyncio.run(scenario())
