"""Routing, header handling and request ids on the proxy path."""

from __future__ import annotations

import gzip
import http.client
import json
import re

import httpx
import pytest


def test_prefix_is_stripped_and_the_path_kept_as_sent(gateway, upstream, tokens) -> None:
    response = httpx.get(
        f"{gateway}/api/registry/cameras/a%2Fb/x%20y?unit=HQ&q=%C3%A9&q=2",
        headers=tokens.headers(),
    )

    assert response.status_code == 200
    hit = response.json()
    assert hit["raw_path"] == "/cameras/a%2Fb/x%20y"
    assert hit["query"] == "unit=HQ&q=%C3%A9&q=2"
    assert response.headers["x-upstream"] == "registry"


def test_service_root_maps_to_slash(gateway, upstream, tokens) -> None:
    response = httpx.get(f"{gateway}/api/registry", headers=tokens.headers())

    assert response.status_code == 200
    assert response.json()["raw_path"] == "/"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_methods_and_bodies_pass_through(gateway, upstream, tokens, method) -> None:
    response = httpx.request(
        method,
        f"{gateway}/api/incidents/items/1",
        headers={**tokens.headers(), "Content-Type": "application/json"},
        content=b'{"a": 1}',
    )

    assert response.status_code == 200
    hit = response.json()
    assert hit["method"] == method
    assert hit["body"] == '{"a": 1}'
    assert dict(hit["headers"])["content-type"] == "application/json"


def test_head_has_no_body(gateway, upstream, tokens) -> None:
    response = httpx.head(f"{gateway}/api/registry/things", headers=tokens.headers())

    assert response.status_code == 200
    assert response.content == b""


def test_unknown_service_is_a_problem_404(gateway, upstream, tokens) -> None:
    for path in ("/api/payroll/x", "/api/", "/api"):
        response = httpx.get(f"{gateway}{path}", headers=tokens.headers())
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    assert upstream.hits == []


def test_dot_segments_are_refused(gateway, upstream, tokens) -> None:
    # http.client sends the path as written (httpx would normalise it).
    host, port = gateway.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/api/access/oauth/../../registry/secrets", headers=tokens.headers())
    response = connection.getresponse()

    assert response.status == 400
    assert response.getheader("content-type") == "application/problem+json"
    assert upstream.hits == []


def test_forwarding_headers_are_set_and_hop_by_hop_headers_dropped(
    gateway, upstream, tokens
) -> None:
    response = httpx.get(
        f"{gateway}/api/risk/scores",
        headers={
            **tokens.headers(),
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Prefix": "/spoofed",
            "Connection": "keep-alive, X-Secret-Hop",
            "X-Secret-Hop": "must not pass",
            "Keep-Alive": "timeout=5",
            "TE": "trailers",
            "X-Custom": "kept",
        },
    )

    forwarded = dict(response.json()["headers"])
    assert forwarded["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert forwarded["x-forwarded-proto"] == "http"
    assert forwarded["x-forwarded-host"] == gateway.removeprefix("http://")
    assert forwarded["x-forwarded-prefix"] == "/api/risk"
    assert forwarded["x-custom"] == "kept"
    for hop in ("x-secret-hop", "keep-alive", "te", "proxy-authorization"):
        assert hop not in forwarded
    assert forwarded["host"] == upstream.url.removeprefix("http://")


def test_request_id_is_generated_forwarded_and_returned(gateway, upstream, tokens) -> None:
    response = httpx.get(f"{gateway}/api/registry/x", headers=tokens.headers())

    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert dict(response.json()["headers"])["x-request-id"] == request_id
    # The service's own X-Request-ID never duplicates the gateway's.
    assert response.headers.get_list("x-request-id") == [request_id]


def test_sane_incoming_request_id_is_kept(gateway, upstream, tokens) -> None:
    response = httpx.get(
        f"{gateway}/api/registry/x",
        headers={**tokens.headers(), "X-Request-ID": "client-4f1c:retry.2"},
    )

    assert response.headers["x-request-id"] == "client-4f1c:retry.2"
    assert dict(response.json()["headers"])["x-request-id"] == "client-4f1c:retry.2"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, "<script>", "-leading-dash"])
def test_unsafe_incoming_request_id_is_replaced(gateway, upstream, tokens, bad) -> None:
    response = httpx.get(
        f"{gateway}/api/registry/x", headers={**tokens.headers(), "X-Request-ID": bad}
    )

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_refusals_carry_the_request_id_too(gateway, upstream) -> None:
    response = httpx.get(f"{gateway}/api/registry/x", headers={"X-Request-ID": "abc-123"})

    assert response.status_code == 401
    assert response.headers["x-request-id"] == "abc-123"


def test_redirects_are_passed_on_with_the_prefix(gateway, upstream, tokens) -> None:
    response = httpx.get(f"{gateway}/api/registry/redirect", headers=tokens.headers())

    assert response.status_code == 307
    assert response.headers["location"] == "/api/registry/echo/target"


def test_cookies_are_passed_on_but_never_kept_by_the_gateway(gateway, upstream, tokens) -> None:
    first = httpx.get(f"{gateway}/api/registry/cookie", headers=tokens.headers())
    second = httpx.get(f"{gateway}/api/registry/cookie", headers=tokens.headers())

    assert "session=from-service" in first.headers["set-cookie"]
    assert second.json()["received"] is None


def test_compressed_bodies_pass_through_unchanged(gateway, upstream, tokens) -> None:
    with httpx.stream("GET", f"{gateway}/api/registry/gzip", headers=tokens.headers()) as r:
        raw = b"".join(r.iter_raw())

    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) == len(raw)
    assert json.loads(gzip.decompress(raw))["data"][0] == "x" * 100


def test_openapi_gets_the_gateway_prefix_as_server(gateway, upstream) -> None:
    response = httpx.get(f"{gateway}/api/evidence/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["servers"] == [{"url": "/api/evidence"}]
    assert document["info"]["title"] == "fake registry"
    assert int(response.headers["content-length"]) == len(response.content)


def test_service_docs_pages_point_at_the_prefixed_openapi(gateway, upstream) -> None:
    swagger = httpx.get(f"{gateway}/api/incidents/docs")
    redoc = httpx.get(f"{gateway}/api/incidents/redoc")

    assert swagger.status_code == 200
    assert swagger.headers["content-type"].startswith("text/html")
    assert "/api/incidents/openapi.json" in swagger.text
    assert redoc.status_code == 200
    assert "/api/incidents/openapi.json" in redoc.text
    assert upstream.hits == []
