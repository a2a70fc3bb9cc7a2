"""Registry events travel through the outbox relay onto JetStream, valid against their schema."""

import asyncio
import json
import uuid

import jsonschema
import nats
import pytest
from fastapi.testclient import TestClient

from devkit.testing.registry import Callers, build_site, registry_settings
from registry.main import PUBLISHES, create_app
from registry.models import metadata
from servicekit.events import EventPayload


def test_every_published_payload_has_a_schema_and_an_event_type():
    types = [p.event_type for p in PUBLISHES]
    assert types == [
        "registry.epe.registered.v1",
        "registry.epe.updated.v1",
        "registry.camera.added.v1",
        "registry.camera.changed.v1",
        "registry.camera.removed.v1",
        "registry.camera.went_offline.v1",
        "registry.camera.came_back.v1",
        "registry.camera.probe_refused.v1",
        "registry.coverage_gap.found.v1",
        "registry.coverage_gap.closed.v1",
    ]
    for payload in PUBLISHES:
        schema = payload.model_json_schema()
        assert {"epe_id", "unit"} <= set(schema["required"]), payload.event_type
        if payload.event_type.startswith("registry.camera."):
            assert {"camera_number", "position_kind", "must_be_online"} <= set(schema["required"])


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_events_reach_jetstream(database, tokens, nats_url):
    settings = registry_settings(database, events_enabled=True, nats_url=nats_url)
    app = create_app(settings, token_verifier=tokens.verifier())
    metadata.create_all(app.state.engine)
    epe_id = f"epe-{uuid.uuid4().hex[:8]}"
    with TestClient(app) as client:
        build_site(client, Callers(tokens), epe_id)
        events = asyncio.run(_read_stream(nats_url, epe_id, expected=4))
    app.state.engine.dispose()
    kinds = [e["type"] for e in events]
    assert kinds[0] == "registry.epe.registered.v1"
    assert kinds.count("registry.camera.added.v1") == 3
    for event in events:
        model = EventPayload.payload_class(event["type"])
        jsonschema.validate(event["data"], model.model_json_schema())


async def _read_stream(url, epe_id, *, expected, timeout=20.0):
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe("registry.>", ordered_consumer=True, stream="CAMWATCH_REGISTRY")
        found = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except nats.errors.TimeoutError:
                if (
                    len([e for e in found if e["type"] != "registry.coverage_gap.found.v1"])
                    >= expected
                ):
                    break
                continue
            event = json.loads(msg.data)
            if event["data"].get("epe_id") == epe_id:
                found.append(event)
        return found
    finally:
        await nc.close()
