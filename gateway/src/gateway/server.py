"""uvicorn's httptools protocol, writing each small response to the socket in one piece.

uvicorn writes a response's head as soon as the application sends `http.response.start`
and its body with `http.response.body`: two `send()` calls for nearly every proxied
response, the largest item of the gateway's profile (about 30% of its CPU in
`transport.write`). `CoalescingTransport` holds small writes until the end of the current
turn of the event loop and writes them together; the proxy sends a small response's head
and body in the same turn, so they leave in one system call.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from gateway.live import end_live_connections
from servicekit.httpserver import PassThroughBodyProtocol

# Writes at least this large go out at once (after anything held): copying them into one
# buffer would cost more than the system call it saves.
HOLD_BELOW = 16 * 1024


class CoalescingTransport:
    """Wraps a socket transport; small writes within one loop turn become one write."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if len(data) >= HOLD_BELOW:
            if held:
                self.flush()
            self._transport.write(data)
            return
        if not held:
            self._loop.call_soon(self.flush)
        held.append(bytes(data))

    def flush(self) -> None:
        """Write what is held (called at the end of the loop turn, or before closing)."""
        held = self._held
        if not held:
            return
        data = held[0] if len(held) == 1 else b"".join(held)
        held.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def writelines(self, lines: list[bytes]) -> None:
        for line in lines:
            self.write(line)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._held)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()


class CoalescingHttpToolsProtocol(PassThroughBodyProtocol):
    """`http="httptools"` with its socket writes coalesced and request body pieces passed on
    uncopied (pass the class as `http`)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        wrapped: Any = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(wrapped)

    def shutdown(self) -> None:
        """The server is stopping: besides uvicorn's own (close when idle, else after the
        response), end the live channel's endless responses so that they complete."""
        super().shutdown()
        end_live_connections()
