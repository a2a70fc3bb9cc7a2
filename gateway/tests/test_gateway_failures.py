"""Upstream failures become 502/503/504 problem+json; a broken stream is not passed as whole."""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"]
    body = response.json()
    assert body["status"] == status
    return body


def test_connection_refused_is_503(start_gateway, closed_port, tokens) -> None:
    url = start_gateway(upstreams={"registry": f"http://127.0.0.1:{closed_port}"})

    response = httpx.get(f"{url}/api/registry/cameras", headers=tokens.headers())

    body = _problem(response, 503)
    assert "registry" in body["detail"]
    assert body["instance"] == "/api/registry/cameras"


def test_slow_service_is_504(start_gateway, upstream, tokens) -> None:
    url = start_gateway(upstreams={"registry": upstream.url}, upstream_read_timeout=0.3)

    response = httpx.get(f"{url}/api/registry/slow", headers=tokens.headers(), timeout=10)

    _problem(response, 504)


@pytest.mark.parametrize(
    "reply",
    [b"", b"THIS IS NOT HTTP\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"],
    ids=["closes-at-once", "garbage", "truncated-body"],
)
def test_broken_service_is_502(start_gateway, raw_server, tokens, reply) -> None:
    server = raw_server(reply)
    url = start_gateway(upstreams={"registry": server.url})

    response = httpx.get(f"{url}/api/registry/cameras", headers=tokens.headers())

    _problem(response, 502)


def test_stream_broken_midway_is_not_completed(gateway, upstream, tokens) -> None:
    url = f"{gateway}/api/registry/broken"
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", url, headers=tokens.headers()) as response,
    ):
        assert response.status_code == 200  # the head went out before the service failed
        response.read()


def test_gateway_keeps_serving_after_failures(start_gateway, upstream, closed_port, tokens) -> None:
    url = start_gateway(
        upstreams={"registry": upstream.url, "risk": f"http://127.0.0.1:{closed_port}"}
    )

    for _ in range(3):
        assert httpx.get(f"{url}/api/risk/x", headers=tokens.headers()).status_code == 503
    assert httpx.get(f"{url}/api/registry/x", headers=tokens.headers()).status_code == 200


PAIRS = 5
REQUESTS = [
    ("POST", b'{"a": 1}'),
    ("POST", None),
    ("PATCH", b'{"a": 1}'),
    ("GET", None),
    ("PUT", b'{"a": 1}'),
    ("DELETE", None),
]


def test_a_connection_the_service_dropped_is_not_another_clients_error(
    start_gateway, upstream, tokens
) -> None:
    """After a 500, uvicorn closes the connection; the gateway must not reuse it for the next
    request (before the fix: a 502 for clients the failure had nothing to do with).

    With one pooled connection, client B's request waits for the connection client A's
    failing request holds, and takes it the moment A's answer is through.
    """
    url = start_gateway(upstreams={"registry": upstream.url}, upstream_pool_size=1)
    statuses = []
    with (
        httpx.Client(headers=tokens.headers(), timeout=10) as a,
        httpx.Client(headers=tokens.headers(), timeout=10) as b,
        ThreadPoolExecutor(1) as other,
    ):
        for method, content in REQUESTS:
            for _ in range(PAIRS):
                failing = other.submit(a.post, f"{url}/api/registry/crash?delay=0.05")
                time.sleep(0.01)
                response = b.request(method, f"{url}/api/registry/echo", content=content)
                assert failing.result().status_code == 500
                statuses.append((method, response.status_code))

    assert [status for _, status in statuses] == [200] * len(statuses), statuses
    assert len([h for h in upstream.hits if h["raw_path"] == "/echo"]) == len(statuses)


class StaleServer:
    """An HTTP server whose kept-alive connections all go stale.

    Each connection answers its first request (keep-alive) and resets the connection on the
    second without answering, as a service does that closed idle connections the gateway still
    holds (a restart, a crash of the worker). The first answers wait until `pool` connections
    are open, so the gateway ends up holding that many stale connections.
    """

    def __init__(self, pool: int) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.pool = pool
        self.barrier = threading.Barrier(pool, timeout=10)
        self.opened = 0
        self.seen: list[bytes] = []
        self.reset = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.opened += 1
            threading.Thread(
                target=self._serve, args=(conn, self.opened <= self.pool), daemon=True
            ).start()

    def _serve(self, conn: socket.socket, pooled: bool) -> None:
        with conn:
            conn.settimeout(10)
            for number in (1, 2):
                request = self._read_request(conn)
                if request is None:
                    return
                self.seen.append(request.split(b" ", 2)[0])
                if number == 1:
                    if pooled:
                        with contextlib.suppress(threading.BrokenBarrierError):
                            self.barrier.wait()
                    body = b"" if request.startswith(b"HEAD ") else b"fresh"
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + body)
                else:
                    self.reset += 1
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        while length and len(body) < int(length.group(1)):
            body += conn.recv(65536)
        return head

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def stale_server() -> Iterator[StaleServer]:
    server = StaleServer(pool=2)
    yield server
    server.close()


def _fill_pool(url: str, tokens, size: int) -> None:
    """Open `size` kept-alive gateway→service connections (the server holds the answers)."""
    with ThreadPoolExecutor(size) as pool:
        first = list(
            pool.map(
                lambda _: httpx.get(f"{url}/api/registry/x", headers=tokens.headers(), timeout=10),
                range(size),
            )
        )
    assert [r.status_code for r in first] == [200] * size


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])
def test_idempotent_request_on_stale_connections_is_retried_on_a_fresh_one(
    start_gateway, stale_server, tokens, method
) -> None:
    url = start_gateway(upstreams={"registry": stale_server.url})
    _fill_pool(url, tokens, 2)

    response = httpx.request(
        method, f"{url}/api/registry/x", headers=tokens.headers(), content=b"{}", timeout=10
    )

    assert response.status_code == 200, response.text
    assert stale_server.reset >= 1


def test_post_the_service_may_have_received_is_not_resent(
    start_gateway, stale_server, tokens
) -> None:
    url = start_gateway(upstreams={"registry": stale_server.url})
    _fill_pool(url, tokens, 2)

    response = httpx.post(
        f"{url}/api/registry/x", headers=tokens.headers(), content=b"{}", timeout=10
    )

    _problem(response, 502)
    assert stale_server.seen.count(b"POST") == 1


class ClosingServer:
    """An HTTP server that answers one request per connection (keep-alive announced) and
    then closes it, as a service does when its own keep-alive runs out."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.seen: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                request = StaleServer._read_request(conn)
                if request is not None:
                    self.seen.append(request.split(b" ", 1)[0])
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def close(self) -> None:
        self.sock.close()


def test_a_connection_closed_while_idle_is_not_used(start_gateway, tokens) -> None:
    """The pool drops a connection the service closed while it was idle, so even a POST (never
    sent twice) goes out on a live one."""
    server = ClosingServer()
    try:
        url = start_gateway(upstreams={"registry": server.url})
        assert httpx.get(f"{url}/api/registry/x", headers=tokens.headers()).status_code == 200
        time.sleep(0.2)  # the service's close reaches the gateway

        response = httpx.post(f"{url}/api/registry/x", headers=tokens.headers(), content=b"{}")

        assert response.status_code == 200, response.text
        assert server.seen == [b"GET", b"POST"]
    finally:
        server.close()
