"""The trace context crosses NATS: request span -> event "create" span -> consumer span."""

from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlmodel import Session

from servicekit.events import CloudEvent, add_event
from servicekit.telemetry import setup_telemetry


async def test_consumer_span_continues_the_trace_of_add_event(world):
    exporter = InMemorySpanExporter()
    setup_telemetry(world.settings(world.producer), processors=[SimpleSpanProcessor(exporter)])
    try:
        await world.runtime(subscriptions={world.event_type: world.record_effect})
        tracer = trace.get_tracer("test")
        with (
            tracer.start_as_current_span("POST /widgets") as request_span,
            Session(world.engine) as session,
        ):
            event = add_event(session, world.payload(n=7), subject="widget-7")
            session.commit()
        await world.wait_until(lambda: world.effect_count() == 1)

        def spans_of(kind: SpanKind) -> list:
            return [
                span
                for span in exporter.get_finished_spans()
                if span.kind == kind
                and span.attributes
                and span.attributes.get("messaging.message.id") == event.id
            ]

        await world.wait_until(lambda: spans_of(SpanKind.CONSUMER))
        [created] = spans_of(SpanKind.PRODUCER)
        [consumed] = spans_of(SpanKind.CONSUMER)
        request = request_span.get_span_context()
        assert created.name == f"{world.event_type} create"
        assert created.context.trace_id == request.trace_id
        assert created.parent is not None and created.parent.span_id == request.span_id
        assert consumed.context.trace_id == request.trace_id
        assert consumed.parent is not None
        assert consumed.parent.span_id == created.context.span_id
        await world.wait_until(  # the relay's span ends once all acks are in
            lambda: any(s.name == "outbox relay publish" for s in exporter.get_finished_spans())
        )
        assert consumed.name == f"{world.event_type} process"
        assert consumed.attributes["messaging.consumer.group.name"].endswith("widget_moved_v1")
    finally:
        exporter.shutdown()


def test_without_a_span_processor_the_handler_still_runs_in_the_producers_trace():
    from servicekit.events.consumer import EventConsumer, _Item

    trace_id = "0af7651916cd43dd8448eb211c80319c"
    seen: list[str] = []

    def handler(event, session) -> None:
        context = trace.get_current_span().get_span_context()
        seen.append(format(context.trace_id, "032x"))

    consumer = EventConsumer(
        service="tracetest",
        subject="tracetest.lamp.switched.v1",
        handler=handler,
        engine=None,  # type: ignore[arg-type]
        bus=None,  # type: ignore[arg-type]
        schemas=None,  # type: ignore[arg-type]
    )

    class Delivery:
        subject = "tracetest.lamp.switched.v1"
        headers = {"traceparent": f"00-{trace_id}-b7ad6b7169203331-01"}

    event = CloudEvent(
        id="e1",
        source="camwatch/tracetest",
        type="tracetest.lamp.switched.v1",
        time=datetime.now(UTC),
    )
    consumer._handle_traced(_Item(Delivery(), event), None, record=False)  # type: ignore[arg-type]
    assert seen == [trace_id]
    assert trace.get_current_span().get_span_context().trace_id != int(trace_id, 16)
