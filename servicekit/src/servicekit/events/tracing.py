"""Whether spans are worth creating: an SDK provider without span processors drops them all.

Services always install the OpenTelemetry SDK provider (log lines carry trace ids), but only
export spans when an OTLP endpoint (or a test's in-memory exporter) is configured. Without a
span processor every recorded span is thrown away, and recording one per event costs the
consumer a third of its time, so the event code then only propagates the trace context.
"""

from __future__ import annotations

from opentelemetry import trace


def spans_recorded() -> bool:
    """Whether a span created now would reach a span processor (checked each time: tests and
    services may add processors after start-up)."""
    provider = trace.get_tracer_provider()
    processor = getattr(provider, "_active_span_processor", None)
    if processor is None:
        return True  # not the SDK provider (the no-op API, or another SDK): let it decide
    return bool(getattr(processor, "_span_processors", True))
