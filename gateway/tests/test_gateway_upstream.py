"""The proxy's own HTTP/1.1 client (`gateway.upstream`): answers framed every way HTTP allows.

aiohttp handled these before; the lean client must too (the common cases, streaming,
failures and stale connections are covered by the proxy, streaming and failure tests).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx

from servicekit.services import SERVICES

MIB = 1024 * 1024


def test_a_body_ended_by_closing_the_connection(start_gateway, raw_server, tokens) -> None:
    server = raw_server(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nup to the end")
    url = start_gateway(upstreams={"registry": server.url})

    response = httpx.get(f"{url}/api/registry/x", headers=tokens.headers())

    assert response.status_code == 200
    assert response.text == "up to the end"


def test_an_interim_answer_is_skipped(start_gateway, raw_server, tokens) -> None:
    server = raw_server(
        b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    )
    url = start_gateway(upstreams={"registry": server.url})

    response = httpx.get(f"{url}/api/registry/x", headers=tokens.headers())

    assert response.status_code == 200
    assert response.text == "ok"
    assert "link" not in response.headers


def test_requests_after_a_head_are_answered_whole(start_gateway, upstream, tokens) -> None:
    """A HEAD answer announces a length but has no body: the connection it came on must not
    leave the next request waiting for those bytes."""
    url = start_gateway(upstreams={name: upstream.url for name in SERVICES}, upstream_pool_size=1)
    with httpx.Client(headers=tokens.headers(), timeout=10) as client:
        for _ in range(3):
            head = client.head(f"{url}/api/registry/echo")
            get = client.get(f"{url}/api/registry/echo")

            assert head.status_code == 200
            assert head.content == b""
            assert get.status_code == 200
            assert get.json()["method"] == "GET"


def test_a_chunked_answer_is_passed_on(start_gateway, raw_server, tokens) -> None:
    server = raw_server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    url = start_gateway(upstreams={"registry": server.url})

    response = httpx.get(f"{url}/api/registry/x", headers=tokens.headers())

    assert response.status_code == 200
    assert response.text == "hello world"


def test_a_service_that_stops_reading_an_upload_is_a_504(start_gateway, tokens) -> None:
    """A streamed body the service no longer reads does not hold the gateway forever."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        service = f"http://127.0.0.1:{listener.getsockname()[1]}"
        url = start_gateway(upstreams={"registry": service}, upstream_read_timeout=0.5)

        def body() -> Iterator[bytes]:
            for _ in range(64):
                yield b"x" * MIB

        response = httpx.post(
            f"{url}/api/registry/upload", headers=tokens.headers(), content=body(), timeout=20
        )

        assert response.status_code == 504, response.text
