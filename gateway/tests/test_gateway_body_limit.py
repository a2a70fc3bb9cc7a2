"""The gateway refuses request bodies above its limit with 413, before or while streaming.

The services enforce their own, per-route limits; this is the edge guard that keeps a huge
body from tying up a service (or the gateway) at all.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from gateway.settings import GatewaySettings
from servicekit.services import SERVICES

KIB = 1024
LIMIT = 256 * KIB


@pytest.fixture
def limited(start_gateway, upstream) -> str:
    return start_gateway(
        upstreams={name: upstream.url for name in SERVICES},
        max_body_bytes=LIMIT,
        max_body_bytes_by_service={"evidence": 4 * LIMIT},
    )


def _assert_413(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 413
    assert str(LIMIT) in body["detail"] or "256 KiB" in body["detail"]


def test_declared_length_over_the_limit_is_refused_before_the_body(limited, upstream) -> None:
    """A client announcing 10 GiB gets 413 at once: nothing is read, no service is called."""
    host, port = limited.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /api/registry/upload HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 10737418240\r\nContent-Type: application/json\r\n\r\n"
        )
        head = sock.recv(65536)

    assert head.startswith(b"HTTP/1.1 413 "), head
    assert b"application/problem+json" in head
    assert upstream.hits == []


def test_declared_length_over_the_limit_with_its_body(limited, upstream, tokens) -> None:
    response = httpx.post(
        f"{limited}/api/registry/upload", headers=tokens.headers(), content=b"x" * (LIMIT + 1)
    )

    _assert_413(response)
    assert upstream.hits == []


def test_body_at_the_limit_passes(limited, upstream, tokens) -> None:
    response = httpx.post(
        f"{limited}/api/registry/upload", headers=tokens.headers(), content=b"x" * LIMIT
    )

    assert response.status_code == 200
    assert response.json()["size"] == LIMIT


def _chunks(total: int, size: int = 16 * KIB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b"y" * min(size, total - sent)
        sent += len(chunk)
        yield chunk


def test_chunked_body_over_the_limit_is_cut_while_streaming(limited, upstream, tokens) -> None:
    """No length announced: the gateway counts, and stops forwarding past the limit; the
    service never receives a complete request."""
    response = httpx.post(
        f"{limited}/api/registry/upload",
        headers=tokens.headers(),
        content=_chunks(3 * LIMIT),
        timeout=30,
    )

    _assert_413(response)
    assert [hit for hit in upstream.hits if hit["raw_path"] == "/upload"] == []


def test_chunked_body_under_the_limit_streams_through(limited, upstream, tokens) -> None:
    response = httpx.post(
        f"{limited}/api/registry/upload",
        headers=tokens.headers(),
        content=_chunks(LIMIT - 1),
        timeout=30,
    )

    assert response.status_code == 200
    assert response.json()["size"] == LIMIT - 1


def test_a_service_can_have_its_own_limit(limited, upstream, tokens) -> None:
    allowed = httpx.post(
        f"{limited}/api/evidence/upload",
        headers=tokens.headers(),
        content=_chunks(3 * LIMIT),
        timeout=30,
    )
    refused = httpx.post(
        f"{limited}/api/evidence/upload",
        headers=tokens.headers(),
        content=b"z" * (4 * LIMIT + 1),
        timeout=30,
    )

    assert allowed.status_code == 200
    assert refused.status_code == 413


def test_default_limit_is_64_mib() -> None:
    assert GatewaySettings().max_body_bytes == 64 * 1024 * 1024


def test_limit_for_an_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError, match="nosuch"):
        GatewaySettings(max_body_bytes_by_service={"nosuch": 1})
