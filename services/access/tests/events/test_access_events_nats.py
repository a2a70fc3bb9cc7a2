"""Access events go through the outbox relay onto JetStream and match their committed schemas."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import nats
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from access.context import AuditContext
from access.db import metadata
from access.events import PUBLISHES
from access.main import create_app
from access.seed import seed_demo
from servicekit.db import make_engine
from servicekit.events import stream_name

CONTRACTS = Path(__file__).resolve().parents[4] / "contracts" / "events" / "access"


def test_every_payload_has_a_committed_schema():
    for payload in PUBLISHES:
        committed = json.loads((CONTRACTS / f"{payload.event_type}.json").read_text())
        assert committed["title"] == payload.event_type
        properties = set(committed["properties"])
        assert not properties & {"password", "account", "access_url", "notes", "secret"}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_events_reach_jetstream(access_settings, nats_url):
    settings = access_settings.model_copy(update={"events_enabled": True, "nats_url": nats_url})
    engine = make_engine(settings.resolved_database_url, schema=settings.database_schema)
    metadata.create_all(engine)
    app = create_app(settings, engine=engine)
    with TestClient(app):
        with Session(engine, expire_on_commit=False) as session:
            seed_demo(session, runtime=app.state.runtime, context=AuditContext.system("test"))
            session.commit()
        events = asyncio.run(
            _read(
                nats_url, expected={"access.assignment.changed.v1", "access.vault_entry.created.v1"}
            )
        )
    engine.dispose()
    types = {e["type"] for e in events}
    assert {
        "access.grant.approved.v1",
        "access.assignment.changed.v1",
        "access.vault_entry.created.v1",
    } <= types
    for event in events:
        schema = json.loads((CONTRACTS / f"{event['type']}.json").read_text())
        jsonschema.validate(event["data"], schema)
    assignment = next(e for e in events if e["type"] == "access.assignment.changed.v1")
    assert assignment["data"]["epe_id"] == "EPE-DEMO-01" and assignment["subject"] == "EPE-DEMO-01"


async def _read(url: str, *, expected: set[str], timeout: float = 20.0) -> list[dict]:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        sub = None
        while sub is None and loop.time() < deadline:
            try:
                sub = await js.subscribe(
                    "access.>", ordered_consumer=True, stream=stream_name("access")
                )
            except nats.js.errors.NotFoundError:
                await asyncio.sleep(0.2)
        assert sub is not None, "the access stream was never created"
        found: list[dict] = []
        while loop.time() < deadline:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                if expected <= {e["type"] for e in found}:
                    break
                continue
            found.append(json.loads(msg.data))
        return found
    finally:
        await nc.close()
