"""Outgoing httpx calls of a service carry the current trace context."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
from opentelemetry import trace

from servicekit.settings import ServiceSettings
from servicekit.telemetry import instrument_httpx, setup_telemetry


def test_httpx_calls_carry_traceparent():
    setup_telemetry(ServiceSettings(service_name="telemetry-test"))
    instrument_httpx()
    instrument_httpx()  # idempotent: every app in a process calls it
    seen: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.update({k.lower(): v for k, v in self.headers.items()})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with trace.get_tracer("test").start_as_current_span("outer") as span:
            httpx.get(f"http://127.0.0.1:{server.server_port}/probe")
            trace_id = f"{span.get_span_context().trace_id:032x}"
    finally:
        server.shutdown()
    assert seen["traceparent"].split("-")[1] == trace_id
