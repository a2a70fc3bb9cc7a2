"""The gateway's uvicorn protocol writes a small response's head and body in one piece."""

from __future__ import annotations

import asyncio
import socket

import httpx

from gateway.server import HOLD_BELOW, CoalescingTransport


async def test_small_writes_in_one_loop_turn_leave_in_one_write() -> None:
    loop = asyncio.get_running_loop()
    writes: list[bytes] = []
    received = asyncio.Queue[bytes]()

    class Sink(asyncio.Protocol):
        def data_received(self, data: bytes) -> None:
            received.put_nowait(data)

    server = await loop.create_server(Sink, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
    real_write = transport.write
    transport.write = lambda data: (writes.append(bytes(data)), real_write(data))  # type: ignore[method-assign]
    try:
        coalescing = CoalescingTransport(transport, loop)
        coalescing.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        coalescing.write(b"{}")
        assert writes == []  # held until the end of this turn
        await asyncio.sleep(0)
        assert writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]

        big = b"x" * HOLD_BELOW
        coalescing.write(b"head")
        coalescing.write(big)  # large writes go at once, after what was held
        assert writes[1:] == [b"head", big]

        coalescing.write(b"last")
        coalescing.close()  # closing flushes first
        assert writes[-1] == b"last"
        data = b""
        while len(data) < 39 + len(big) + 8:
            data += await asyncio.wait_for(received.get(), 5)
        assert data.endswith(b"head" + big + b"last")
    finally:
        transport.close()
        server.close()


def test_keep_alive_and_streamed_responses_still_work(gateway, upstream, tokens) -> None:
    with httpx.Client(headers=tokens.headers()) as client:
        answers = [client.get(f"{gateway}/api/registry/x") for _ in range(20)]
    assert [a.status_code for a in answers] == [200] * 20


def test_a_raw_request_gets_its_whole_response(gateway, upstream, tokens) -> None:
    host, port = gateway.removeprefix("http://").split(":")
    token = tokens.headers()["Authorization"]
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            f"GET /api/registry/x HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int(
        next(
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ).split(b":")[1]
    )
    assert len(body) == length
