"""Upstream failures become 502/503/504 problem+json; a broken stream is not passed as whole."""

from __future__ import annotations

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
