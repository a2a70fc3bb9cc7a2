"""Per-client rate limits: 429 problem+json with Retry-After, counted per subject or per IP."""

from __future__ import annotations

import threading
import time
import tracemalloc

import httpx
import pytest

from gateway.ratelimit import MemoryBuckets, RateLimits
from gateway.settings import GatewaySettings


def test_client_over_its_limit_gets_429_with_retry_after(start_gateway, upstream, tokens) -> None:
    url = start_gateway(upstreams={"registry": upstream.url}, rate_limit_authenticated="3/minute")
    alice = tokens.headers(subject="alice")

    statuses = [httpx.get(f"{url}/api/registry/x", headers=alice).status_code for _ in range(3)]
    refused = httpx.get(f"{url}/api/registry/x", headers=alice)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["status"] == 429
    assert len(upstream.hits) == 3


def test_limits_are_per_subject_not_per_token(start_gateway, upstream, tokens) -> None:
    url = start_gateway(upstreams={"registry": upstream.url}, rate_limit_authenticated="2/minute")

    alice = [tokens.headers(subject="alice") for _ in range(3)]  # three tokens, one subject
    bob = tokens.headers(subject="bob")

    assert [httpx.get(f"{url}/api/registry/x", headers=h).status_code for h in alice] == [
        200,
        200,
        429,
    ]
    assert httpx.get(f"{url}/api/registry/x", headers=bob).status_code == 200


def test_anonymous_clients_are_limited_per_ip(start_gateway, upstream, tokens) -> None:
    url = start_gateway(upstreams={"access": upstream.url}, rate_limit_anonymous="2/minute")
    jwks_url = f"{url}/api/access/.well-known/jwks.json"

    assert [httpx.get(jwks_url).status_code for _ in range(3)] == [200, 200, 429]
    # An authenticated caller from the same address has its own budget.
    assert httpx.get(jwks_url, headers=tokens.headers()).status_code == 200


def test_failed_sign_ins_count_against_the_address(start_gateway, upstream) -> None:
    url = start_gateway(upstreams={"registry": upstream.url}, rate_limit_anonymous="2/minute")
    bad = {"Authorization": "Bearer guessed"}

    statuses = [httpx.get(f"{url}/api/registry/x", headers=bad).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


REFUSED = {"X-Test-Status": "401"}  # the fake access service refuses these credentials


def basic(client_id: str) -> tuple[str, str]:
    return (client_id, "secret")


def test_bad_tokens_from_an_address_do_not_lock_its_clients_out_of_sign_in(
    start_gateway, upstream
) -> None:
    url = start_gateway(
        upstreams={"registry": upstream.url, "access": upstream.url},
        rate_limit_anonymous="2/minute",
    )
    bad = {"Authorization": "Bearer guessed"}
    assert [httpx.get(f"{url}/api/registry/x", headers=bad).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]

    token = httpx.post(
        f"{url}/api/access/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=basic("epe-good-vendor"),
    )
    signin = httpx.post(f"{url}/api/access/signin", json={"username": "a", "password": "p"})

    assert token.status_code == 200, token.text
    assert signin.status_code == 200, signin.text


def test_failed_attempts_are_limited_per_client_not_per_address(start_gateway, upstream) -> None:
    url = start_gateway(upstreams={"access": upstream.url}, rate_limit_failed_attempts="3/minute")
    token_url = f"{url}/api/access/oauth/token"
    form = {"grant_type": "client_credentials"}

    failing = [
        httpx.post(token_url, data=form, auth=basic("epe-bad-vendor"), headers=REFUSED)
        for _ in range(4)
    ]

    assert [r.status_code for r in failing] == [401, 401, 401, 429]
    assert failing[3].headers["content-type"] == "application/problem+json"
    assert 1 <= int(failing[3].headers["retry-after"]) <= 60
    assert len(upstream.hits) == 3  # the fourth guess never reached the access service
    # the same client is refused even with a good secret now; other clients behind the same
    # address, by Basic auth or in the form, are not
    assert httpx.post(token_url, data=form, auth=basic("epe-bad-vendor")).status_code == 429
    assert httpx.post(token_url, data=form, auth=basic("epe-good-vendor")).status_code == 200
    with_form = {**form, "client_id": "camwatch-spa"}
    assert httpx.post(token_url, data=with_form).status_code == 200


def test_client_secret_post_counts_per_client_but_public_clients_are_not_locked(
    start_gateway, upstream
) -> None:
    url = start_gateway(upstreams={"access": upstream.url}, rate_limit_failed_attempts="2/minute")
    token_url = f"{url}/api/access/oauth/token"
    secret_post = {"grant_type": "client_credentials", "client_id": "v", "client_secret": "x"}
    assert [
        httpx.post(token_url, data=secret_post, headers=REFUSED).status_code for _ in range(3)
    ] == [401, 401, 429]
    # The SPA is one public client for every officer: expired refresh tokens (400) of some
    # must not lock the others out; its codes and refresh tokens are not guessable anyway.
    refresh = {"grant_type": "refresh_token", "client_id": "camwatch-spa", "refresh_token": "r"}
    expired = {"X-Test-Status": "400"}
    statuses = [httpx.post(token_url, data=refresh, headers=expired).status_code for _ in range(5)]
    assert statuses == [400] * 5
    assert httpx.post(token_url, data=refresh).status_code == 200


def test_successful_attempts_do_not_count(start_gateway, upstream) -> None:
    url = start_gateway(upstreams={"access": upstream.url}, rate_limit_failed_attempts="2/minute")
    token_url = f"{url}/api/access/oauth/token"
    statuses = [
        httpx.post(
            token_url, data={"grant_type": "client_credentials"}, auth=basic("ok")
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [200] * 5


def test_failed_sign_ins_are_limited_per_account(start_gateway, upstream) -> None:
    url = start_gateway(upstreams={"access": upstream.url}, rate_limit_failed_attempts="2/minute")
    signin = f"{url}/api/access/signin"

    def attempt(username: str, **headers: str) -> int:
        body = {"username": username, "password": "guess"}
        return httpx.post(signin, json=body, headers=headers).status_code

    assert [attempt("nguyen.van.a", **REFUSED) for _ in range(3)] == [401, 401, 429]
    assert attempt("tran.thi.b") == 200
    totp = f"{url}/api/access/signin/totp"
    body = {"transaction": "t" * 20, "code": "000000"}
    assert [httpx.post(totp, json=body, headers=REFUSED).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
    other = {"transaction": "u" * 20, "code": "000000"}
    assert httpx.post(totp, json=other).status_code == 200


def test_an_address_flooding_sign_in_meets_a_ceiling(start_gateway, upstream) -> None:
    url = start_gateway(
        upstreams={"access": upstream.url}, rate_limit_credential_address="3/minute"
    )
    token_url = f"{url}/api/access/oauth/token"
    statuses = [
        httpx.post(
            token_url, data={"grant_type": "client_credentials"}, auth=basic(f"client-{n}")
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


async def test_a_client_gets_its_rate_then_waits_for_the_next_token() -> None:
    limits = RateLimits(GatewaySettings(rate_limit_authenticated="5/minute"))

    results = [await limits.hit("alice", authenticated=True) for _ in range(6)]

    assert results[:5] == [None] * 5
    # a token bucket refills one request every 12 s
    assert results[5] is not None and 1 <= results[5] <= 12
    assert await limits.hit("bob", authenticated=True) is None


async def test_every_rate_of_a_client_must_allow_the_request(monkeypatch) -> None:
    limits = RateLimits(GatewaySettings(rate_limit_authenticated="2/second;3/minute"))
    now = 1_000_000.0
    monkeypatch.setattr(time, "time", lambda: now)

    assert [await limits.hit("alice", authenticated=True) for _ in range(3)] == [None, None, 1]
    now += 1
    assert await limits.hit("alice", authenticated=True) is None
    # the minute's three are spent; one comes back every 20 s from the first
    assert await limits.hit("alice", authenticated=True) == 19
    now += 18
    assert await limits.hit("alice", authenticated=True) == 1
    now += 1
    assert await limits.hit("alice", authenticated=True) is None


async def test_replicas_sharing_a_store_share_each_clients_budget() -> None:
    settings = GatewaySettings(rate_limit_authenticated="4/minute")
    shared = MemoryBuckets()
    one = RateLimits(settings, store=lambda _name: shared)
    two = RateLimits(settings, store=lambda _name: shared)

    results = [await replica.hit("alice", authenticated=True) for replica in (one, two) * 3]

    assert results[:4] == [None] * 4
    assert None not in results[4:]


async def test_steady_hits_allocate_nothing() -> None:
    limits = RateLimits(GatewaySettings(rate_limit_authenticated="1000000/second"))
    for _ in range(100):
        await limits.hit("alice", authenticated=True)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(20_000):
            await limits.hit("alice", authenticated=True)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    own = [tracemalloc.Filter(False, tracemalloc.__file__)]
    grown = sum(
        stat.size_diff
        for stat in after.filter_traces(own).compare_to(before.filter_traces(own), "filename")
    )
    assert grown < 2048  # a moving window keeps ~140 bytes per hit: 2.8 MB here


async def test_rate_limits_can_be_turned_off() -> None:
    limits = RateLimits(
        GatewaySettings(rate_limit_enabled=False, rate_limit_authenticated="1/minute")
    )

    assert [await limits.hit("sub:x", authenticated=True) for _ in range(3)] == [None] * 3


def test_bad_rate_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="limits"):
        GatewaySettings(rate_limit_authenticated="lots")


async def test_sweep_drops_clients_whose_buckets_are_full_again(monkeypatch) -> None:
    store = MemoryBuckets()
    limits = RateLimits(
        GatewaySettings(rate_limit_authenticated="5/second"), store=lambda _n: store
    )
    for key in ("a", "b"):
        await limits.hit(key, authenticated=True)
    assert len(store) == 2

    later = time.time() + 2
    monkeypatch.setattr(time, "time", lambda: later)
    await limits.sweep()

    assert len(store) == 0


async def test_hits_start_no_threads() -> None:
    limits = RateLimits(GatewaySettings(rate_limit_authenticated="1000/second"))
    before = threading.active_count()

    for _ in range(50):
        await limits.hit("sub:x", authenticated=True)

    assert threading.active_count() <= before
