"""uvicorn's httptools protocol, handing request body pieces to the app without copying them.

uvicorn gathers the body pieces the parser gives it in a `bytearray` and copies that into a
new `bytes` for each `http.request` message: two copies of every byte of a request body
before the application sees it. For a large upload (evidence footage, streamed through the
gateway and the evidence service) that is a measurable share of each process's CPU (the
largest `memmove` in both profiles). The app nearly always takes a piece before the next one
arrives (uvicorn stops reading past 64 KiB until it does), so the piece itself can be the
message's body: uvicorn's `bytes(body)` of a `bytes` object is the object itself. Pieces
that do pile up are gathered in a `bytearray`, as uvicorn does.
"""

from __future__ import annotations

from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class PassThroughBodyProtocol(HttpToolsProtocol):
    """`http="httptools"` without the copies of the request body (pass the class as `http`)."""

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        pending = cycle.body
        if not pending:  # the usual case: the piece is the message's body as it is
            cycle.body = body  # type: ignore[assignment]
        elif isinstance(pending, bytearray):
            pending += body
        else:  # a second piece before the app took the first: gather them as uvicorn does
            cycle.body = bytearray(pending) + body
        if len(cycle.body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()
