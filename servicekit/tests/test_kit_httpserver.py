"""Request bodies reach the app whole and in order through the uncopying protocol, whether
its pieces arrive one at a time (streamed uploads) or pile up (many small chunks)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from servicekit.httpserver import PassThroughBodyProtocol

MIB = 1024 * 1024
received: list[list[Any]] = []


async def app(scope: Any, receive: Any, send: Any) -> None:
    """Records each `http.request` message's body as it came, answers the byte count."""
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    pieces: list[Any] = []
    while True:
        message = await receive()
        pieces.append(message["body"])
        if not message["more_body"]:
            break
    received.append(pieces)
    body = str(sum(len(p) for p in pieces)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, http=PassThroughBodyProtocol, log_config=None, access_log=False, loop="asyncio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(15)
    sock.close()


def test_a_streamed_body_arrives_whole_in_bytes_pieces(url: str) -> None:
    data = os.urandom(8 * MIB)
    answer = httpx.put(url, content=data, timeout=30)
    assert answer.text == str(len(data))
    pieces = received[-1]
    assert b"".join(pieces) == data
    assert all(type(p) is bytes for p in pieces)  # the app gets bytes, never a bytearray


def test_many_small_chunks_pile_up_and_arrive_in_order(url: str) -> None:
    # Chunked encoding with 1 KiB chunks, all written at once: the parser hands hundreds of
    # pieces from one socket read, before the app can take the first.
    data = os.urandom(2 * MIB)
    chunked = b"".join(
        b"400\r\n" + data[start : start + 1024] + b"\r\n" for start in range(0, len(data), 1024)
    )
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(
            b"PUT / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n" + chunked + b"0\r\n\r\n"
        )
        answer = b""
        while part := conn.recv(65536):
            answer += part
    assert answer.startswith(b"HTTP/1.1 200") and str(len(data)).encode() in answer
    pieces = received[-1]
    assert b"".join(pieces) == data
    assert all(type(p) is bytes for p in pieces)
    assert max(len(p) for p in pieces) > 1024  # pieces did pile up and were gathered


def test_an_empty_body_and_a_tiny_one(url: str) -> None:
    assert httpx.put(url, content=b"", timeout=30).text == "0"
    assert httpx.put(url, content=b"x", timeout=30).text == "1"
    assert received[-1][0] == b"x"
