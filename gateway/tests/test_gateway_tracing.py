"""One server span per proxied request; its traceparent is what the service receives."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from gateway.settings import GatewaySettings
from servicekit.telemetry import setup_telemetry


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    setup_telemetry(GatewaySettings(), processors=[SimpleSpanProcessor(exporter)])
    yield exporter
    exporter.shutdown()


def _gateway_spans(exporter: InMemorySpanExporter, *, wait: float = 5.0) -> list:
    """The gateway's finished spans; the span ends just after the response is sent, so a
    loaded machine may need a moment before it shows."""
    deadline = time.monotonic() + wait
    while True:
        found = [s for s in exporter.get_finished_spans() if s.name.endswith("/api/registry/*")]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def test_service_receives_the_gateway_span_as_parent(gateway, upstream, tokens, spans) -> None:
    response = httpx.get(f"{gateway}/api/registry/cameras", headers=tokens.headers())

    traceparent = dict(response.json()["headers"])["traceparent"]
    (span,) = _gateway_spans(spans)
    context = span.get_span_context()
    assert span.kind is SpanKind.SERVER
    assert span.name == "GET /api/registry/*"
    assert span.attributes["http.response.status_code"] == 200
    _version, trace_id, parent_id, flags = traceparent.split("-")
    assert (trace_id, parent_id) == (f"{context.trace_id:032x}", f"{context.span_id:016x}")
    assert int(flags, 16) & 1  # sampled


def test_incoming_trace_is_continued(gateway, upstream, tokens, spans) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    incoming = f"00-{trace_id}-00f067aa0ba902b7-01"

    response = httpx.get(
        f"{gateway}/api/registry/cameras", headers={**tokens.headers(), "traceparent": incoming}
    )

    (span,) = _gateway_spans(spans)
    assert f"{span.context.trace_id:032x}" == trace_id
    assert span.parent is not None and f"{span.parent.span_id:016x}" == "00f067aa0ba902b7"
    forwarded = dict(response.json()["headers"])["traceparent"]
    assert forwarded.split("-")[1] == trace_id
    assert forwarded.split("-")[2] == f"{span.context.span_id:016x}"


def test_failed_requests_are_error_spans(start_gateway, closed_port, tokens, spans) -> None:
    url = start_gateway(upstreams={"registry": f"http://127.0.0.1:{closed_port}"})

    httpx.get(f"{url}/api/registry/cameras", headers=tokens.headers())

    (span,) = _gateway_spans(spans)
    assert span.attributes["http.response.status_code"] == 503
    assert not span.status.is_ok


def _without_span_processors(app) -> None:
    app.proxy._provider = TracerProvider()  # an SDK provider nothing is attached to


def test_without_span_processors_the_callers_trace_passes_unchanged(
    start_gateway, upstream, tokens
) -> None:
    url = start_gateway(upstreams={"registry": upstream.url}, prepare=_without_span_processors)
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    traced = httpx.get(
        f"{url}/api/registry/x", headers={**tokens.headers(), "traceparent": incoming}
    )
    untraced = httpx.get(f"{url}/api/registry/x", headers=tokens.headers())

    assert dict(traced.json()["headers"])["traceparent"] == incoming
    assert "traceparent" not in dict(untraced.json()["headers"])


def test_a_share_link_token_stays_out_of_the_span(gateway, upstream, spans) -> None:
    httpx.get(f"{gateway}/api/evidence/shared/SECRET-TOKEN/files/F1")

    deadline = time.monotonic() + 5
    while not (found := [s for s in spans.get_finished_spans() if "evidence" in s.name]):
        assert time.monotonic() < deadline, "no span"
        time.sleep(0.02)
    (span,) = found
    assert span.attributes["url.path"] == "/api/evidence/shared/{token}/files/F1"
    assert "SECRET-TOKEN" not in str(dict(span.attributes))
