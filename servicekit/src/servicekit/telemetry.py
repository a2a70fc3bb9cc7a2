"""OpenTelemetry tracing: one provider per process, OTLP export when an endpoint is configured.

Trace context crosses HTTP through the instrumentations and NATS through message headers
(`inject_headers` / `extract_context`), so one trace follows a request from the gateway to a
consumer in another service. Outgoing httpx calls are traced per client: `internal_client()`
for calls inside customs' network (the JWKS fetch), never for calls to EPE cameras (the
prober), which must not receive customs' trace ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.engine import Engine

from servicekit.settings import ServiceSettings

_provider: TracerProvider | None = None


def setup_telemetry(
    settings: ServiceSettings, *, processors: list[SpanProcessor] | None = None
) -> TracerProvider:
    """Install the process's tracer provider once; later calls only add span processors."""
    global _provider
    if _provider is None:
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            _provider = current
        else:
            _provider = TracerProvider(
                resource=Resource.create({SERVICE_NAME: f"camwatch-{settings.service_name}"})
            )
            if settings.otel_exporter_otlp_endpoint:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
                _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint)))
            trace.set_tracer_provider(_provider)
    for processor in processors or []:
        _provider.add_span_processor(processor)
    return _provider


def instrument_app(app: FastAPI, *, untraced: Sequence[str] = ()) -> None:
    """Trace every request the app serves (server spans continue the caller's trace), but
    health checks and the `untraced` URL patterns (regular expressions searched in the URL).

    No span per ASGI `receive` or `send` message: a streamed body arrives in pieces of about
    250 KiB, so an evidence upload made some 4,000 internal spans per GiB (a tenth of the
    evidence service's Python time in py-spy) that say nothing the request's span does not."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls=",".join(["healthz", "readyz", *untraced]),
        exclude_spans=["receive", "send"],
    )


def instrument_engine(engine: Engine) -> None:
    """Trace database statements as child spans of the request or handler."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine, enable_commenter=False)


def internal_client(**kwargs: Any) -> httpx.AsyncClient:
    """An httpx client whose calls are traced and carry the trace context (internal hosts)."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    client = httpx.AsyncClient(**kwargs)
    HTTPXClientInstrumentor.instrument_client(client)
    return client


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """Headers carrying the current trace context (W3C traceparent), for NATS messages."""
    carrier: dict[str, str] = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context carried by a message's headers."""
    return propagate.extract(dict(headers or {}))


class ContextCache:
    """`extract_context` for a batch of messages, each distinct trace context parsed once.

    The events of one request (and a relay batch holds many) carry the same trace headers;
    parsing them per message cost the consumer about a tenth of its CPU. Keyed by the values
    of the headers the configured propagator reads, so it stays right for any propagator.
    Meant for one batch: it grows with the distinct contexts it sees.
    """

    __slots__ = ("_contexts", "_fields")

    def __init__(self) -> None:
        self._fields = tuple(sorted(propagate.get_global_textmap().fields))
        self._contexts: dict[tuple[str | None, ...], otel_context.Context] = {}

    def extract(self, headers: Mapping[str, str] | None) -> otel_context.Context:
        """The trace context carried by a message's headers."""
        headers = headers or {}
        key = tuple(headers.get(name) for name in self._fields)
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = extract_context(headers)
        return context


def spans_recorded(provider: Any | None = None) -> bool:
    """Whether a span created now would reach a span processor.

    Services always install the SDK provider (log lines carry trace ids) but export spans only
    when an OTLP endpoint or a test's exporter is configured; without a processor every span
    is dropped, and creating them costs the gateway and the consumers a third of their time,
    so they then only propagate the context. Checked each time: processors may be added later.
    """
    provider = provider or trace.get_tracer_provider()
    processor = getattr(provider, "_active_span_processor", None)
    if processor is None:
        return True  # not the SDK provider (the no-op API, or another SDK): let it decide
    return bool(getattr(processor, "_span_processors", True))


def current_trace_id() -> str | None:
    """The current trace id in hex, for logs and audit records."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
