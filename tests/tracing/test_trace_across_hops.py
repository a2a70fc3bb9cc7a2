"""One request through the gateway into registry, over NATS, into the incidents consumer: one trace.

Every hop runs for real in this process (uvicorn servers, a private NATS); spans go to an
in-memory exporter so the test can see the whole trace.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from devkit.testing.nats import NatsServer
from devkit.testing.ports import free_port
from devkit.testing.registry import Callers, epe_body
from gateway.main import create_app as create_gateway
from gateway.settings import GatewaySettings
from incidents.db import metadata as incidents_metadata
from incidents.main import create_app as create_incidents
from incidents.settings import Settings as IncidentsSettings
from registry.main import create_app as create_registry
from registry.models import metadata as registry_metadata
from servicekit.settings import Environment, ServiceSettings
from servicekit.telemetry import setup_telemetry

pytestmark = pytest.mark.timeout(120)


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Serve an ASGI app on 127.0.0.1:port inside this event loop."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    return server, task


@pytest.fixture
def private_nats(tmp_path) -> Iterator[str]:
    """A NATS of this test's own: durable consumers elsewhere share names with ours."""
    with NatsServer(tmp_path / "nats") as server:
        yield server.url


@pytest.fixture
async def hops(tmp_path, private_nats, tokens) -> AsyncIterator[dict[str, Any]]:
    nats_url = private_nats
    exporter = InMemorySpanExporter()
    setup_telemetry(
        ServiceSettings(service_name="trace-test"), processors=[SimpleSpanProcessor(exporter)]
    )
    common: dict[str, Any] = {
        "environment": Environment.TEST,
        "nats_url": nats_url,
        "events_enabled": True,
        "log_json": False,
    }
    from registry.settings import Settings as RegistrySettings

    registry = create_registry(
        RegistrySettings(
            database_url=f"sqlite:///{tmp_path / 'registry.db'}",
            prober_enabled=False,
            detector_enabled=False,
            **common,
        ),
        token_verifier=tokens.verifier(),
    )
    registry_metadata.create_all(registry.state.engine)
    incidents = create_incidents(
        IncidentsSettings(database_url=f"sqlite:///{tmp_path / 'incidents.db'}", **common),
        token_verifier=tokens.verifier(),
        watcher_enabled=False,
    )
    incidents_metadata.create_all(incidents.state.engine)
    registry_port, incidents_port, gateway_port = free_port(), free_port(), free_port()
    gateway = create_gateway(
        GatewaySettings(
            environment=Environment.TEST,
            upstream_registry=f"http://127.0.0.1:{registry_port}",
            upstream_incidents=f"http://127.0.0.1:{incidents_port}",
        ),
        token_verifier=tokens.verifier(),
    )
    servers = [
        await serve(registry, registry_port),
        await serve(incidents, incidents_port),
        await serve(gateway, gateway_port),
    ]
    yield {"url": f"http://127.0.0.1:{gateway_port}", "exporter": exporter}
    for server, _ in reversed(servers):
        server.should_exit = True
    await asyncio.gather(*(task for _, task in servers))


async def test_one_trace_spans_gateway_service_nats_and_consumer(hops, tokens):
    exporter: InMemorySpanExporter = hops["exporter"]
    async with httpx.AsyncClient(base_url=hops["url"]) as client:
        response = await client.post(
            "/api/registry/epes", json=epe_body(), headers=Callers(tokens).system()
        )
    assert response.status_code == 201, response.text

    request_trace = next(
        s.context.trace_id
        for s in exporter.get_finished_spans()
        if s.instrumentation_scope.name == "camwatch.gateway"
    )
    consumed = None
    deadline = time.monotonic() + 30
    while consumed is None and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        consumed = next(
            (
                s
                for s in exporter.get_finished_spans()
                if s.name == "registry.epe.registered.v1 process"
                and s.context.trace_id == request_trace
            ),
            None,
        )
    assert consumed is not None, "the incidents consumer never processed the event"

    trace_spans = [
        s for s in exporter.get_finished_spans() if s.context.trace_id == consumed.context.trace_id
    ]
    scopes = {s.instrumentation_scope.name for s in trace_spans}
    assert "camwatch.gateway" in scopes, scopes  # the gateway's span
    assert "opentelemetry.instrumentation.fastapi" in scopes, scopes  # registry's server span
    assert "servicekit.events.outbox" in scopes, scopes  # the event created for NATS
    assert "servicekit.events.consumer" in scopes, scopes  # the consumer in incidents

    by_id = {s.context.span_id: s for s in trace_spans}
    roots = [s for s in trace_spans if s.parent is None or s.parent.span_id not in by_id]
    assert len(roots) == 1, roots  # one trace, one root (this test's own httpx client span)
    # The consumer span descends from the gateway's span through the registry request.
    chain, span = [], consumed
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span.instrumentation_scope.name)
    assert "camwatch.gateway" in chain, chain
    assert "opentelemetry.instrumentation.fastapi" in chain, chain
    assert chain.index("opentelemetry.instrumentation.fastapi") < chain.index("camwatch.gateway")
