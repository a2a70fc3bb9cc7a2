"""A share link's path carries its token: the service traces other requests, not these."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from evidence.settings import Settings
from servicekit.telemetry import setup_telemetry


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    setup_telemetry(Settings(), processors=[SimpleSpanProcessor(exporter)])
    yield exporter
    exporter.shutdown()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_share_link_requests_leave_no_span(
    client: TestClient, spans: InMemorySpanExporter, officer_headers: dict[str, str]
) -> None:
    assert client.get("/shared/SECRET-TOKEN-VALUE").status_code == 404
    assert client.get("/requests", headers=officer_headers).status_code == 200
    recorded = [str(dict(s.attributes or {})) + s.name for s in spans.get_finished_spans()]
    assert any("/requests" in r for r in recorded), recorded
    assert not any("SECRET-TOKEN-VALUE" in r for r in recorded)
