"""Tokens are checked at the gateway before anything reaches a service."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from devkit.testing.tokens import TokenFactory
from gateway.auth import CachedTokenVerifier, compile_public_paths
from gateway.settings import DEFAULT_PUBLIC_PATHS
from servicekit.auth import TokenVerifier
from servicekit.errors import Problem


def test_request_without_token_is_refused_before_the_service(gateway, upstream) -> None:
    response = httpx.get(f"{gateway}/api/registry/cameras")

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401
    assert response.json()["instance"] == "/api/registry/cameras"
    assert upstream.hits == []


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer", "Bearer eyJhbGciOiJub25lIn0.e30."],
)
def test_malformed_credentials_are_refused(gateway, upstream, authorization) -> None:
    response = httpx.get(
        f"{gateway}/api/registry/cameras", headers={"Authorization": authorization}
    )

    assert response.status_code == 401
    assert upstream.hits == []


def test_token_signed_by_another_key_is_refused(gateway, upstream) -> None:
    stranger = TokenFactory()  # same issuer and audience, different key

    response = httpx.get(f"{gateway}/api/registry/cameras", headers=stranger.headers())

    assert response.status_code == 401
    assert upstream.hits == []


def test_expired_token_is_refused(gateway, upstream, tokens) -> None:
    response = httpx.get(f"{gateway}/api/registry/cameras", headers=tokens.headers(ttl=-60))

    assert response.status_code == 401
    assert upstream.hits == []


def test_valid_token_passes_and_reaches_the_service_with_its_header(
    gateway, upstream, tokens
) -> None:
    headers = tokens.headers(subject="officer-7")

    response = httpx.get(f"{gateway}/api/registry/cameras", headers=headers)

    assert response.status_code == 200
    assert response.json()["raw_path"] == "/cameras"
    forwarded = dict(response.json()["headers"])
    assert forwarded["authorization"] == headers["Authorization"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/access/.well-known/openid-configuration"),
        ("GET", "/api/access/.well-known/jwks.json"),
        ("POST", "/api/access/oauth/token"),
        ("GET", "/api/access/oauth/authorize"),
        ("POST", "/api/access/oauth/revoke"),
        ("POST", "/api/access/oauth/introspect"),
        ("POST", "/api/access/oauth/device_authorization"),
        ("POST", "/api/access/oauth/device/decisions"),  # access checks the person's bearer
        ("GET", "/api/access/signin"),
        ("POST", "/api/access/signin/totp"),
    ],
)
def test_public_access_endpoints_pass_without_token(gateway, upstream, method, path) -> None:
    response = httpx.request(method, f"{gateway}{path}", content=b"grant_type=x")

    assert response.status_code == 200, response.text
    assert response.json()["raw_path"] == path.removeprefix("/api/access")


def test_public_path_with_a_bad_token_still_passes(gateway, upstream) -> None:
    # A client with an expired token must still reach the token endpoint to refresh it.
    response = httpx.post(
        f"{gateway}/api/access/oauth/token", headers={"Authorization": "Bearer expired"}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/access/users",
        "/api/access/.well-known/other",
        "/api/registry/oauth/token",
        "/api/registry/cameras/openapi.json",
        "/api/access/signout",
    ],
)
def test_other_paths_are_not_public(gateway, upstream, path) -> None:
    assert httpx.get(f"{gateway}{path}").status_code == 401
    assert upstream.hits == []


def test_public_paths_are_a_setting(start_gateway, upstream) -> None:
    url = start_gateway(
        upstreams={"registry": upstream.url}, public_paths=["/api/registry/status/*"]
    )

    assert httpx.get(f"{url}/api/registry/status/now").status_code == 200
    assert httpx.get(f"{url}/api/registry/status/now/deeper").status_code == 401
    assert httpx.get(f"{url}/api/access/.well-known/jwks.json").status_code == 401


def test_public_path_patterns() -> None:
    public = compile_public_paths(DEFAULT_PUBLIC_PATHS)

    assert public.match("/api/access/oauth/token")
    assert public.match("/api/access/oauth/device/code")
    assert public.match("/api/access/signin")
    assert public.match("/api/evidence/openapi.json")
    assert public.match("/api/risk/docs")
    assert public.match("/api/evidence/shared/TOKEN")
    assert public.match("/api/evidence/shared/TOKEN/files/FILE")
    assert not public.match("/api/evidence/shared")
    assert not public.match("/api/evidence/shared/TOKEN/files")
    assert not public.match("/api/evidence/shared/TOKEN/other/FILE")
    assert not public.match("/api/evidence/packages/P/files/F/content")
    assert not public.match("/api/risk/docsx")
    assert not public.match("/api/access/oauth")
    assert not public.match("/api/registry/a/openapi.json")
    assert not public.match("/api/access/.well-known/jwks.jsonx")
    assert not compile_public_paths([]).match("/api/access/oauth/token")


class CountingVerifier(TokenVerifier):
    def __init__(self, inner: TokenVerifier) -> None:
        self.inner = inner
        self.calls = 0

    async def verify(self, token: str) -> dict[str, Any]:
        self.calls += 1
        return await self.inner.verify(token)


def test_verified_tokens_are_cached_until_they_expire(tokens) -> None:
    now = [time.time()]
    counting = CountingVerifier(tokens.verifier())
    cache = CachedTokenVerifier(counting, maxsize=10, clock=lambda: now[0])
    token = tokens.issue(subject="officer-9", ttl=120)

    first = asyncio.run(cache.verify(token))
    second = asyncio.run(cache.verify(token))

    assert first == second
    assert first.subject == "officer-9"
    assert counting.calls == 1
    now[0] += 119
    asyncio.run(cache.verify(token))
    assert counting.calls == 1
    now[0] += 2  # past exp: the cached entry is gone and the token goes to the verifier again
    asyncio.run(cache.verify(token))
    assert counting.calls == 2


def test_token_cache_is_bounded(tokens) -> None:
    counting = CountingVerifier(tokens.verifier())
    cache = CachedTokenVerifier(counting, maxsize=2)
    issued = [tokens.issue(subject=f"user-{i}") for i in range(3)]

    for token in issued:
        asyncio.run(cache.verify(token))
    asyncio.run(cache.verify(issued[0]))  # evicted as least recently used

    assert len(cache) == 2
    assert counting.calls == 4


def test_invalid_tokens_are_not_cached(tokens) -> None:
    counting = CountingVerifier(tokens.verifier())
    cache = CachedTokenVerifier(counting, maxsize=10)

    for _ in range(2):
        with pytest.raises(Problem):
            asyncio.run(cache.verify("garbage"))

    assert counting.calls == 2
    assert len(cache) == 0
