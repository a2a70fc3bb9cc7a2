"""Per-client rate limits: a token bucket per client and rate, kept as one number (GCRA).

A client is the token subject when the request carries a valid token, else the remote IP.
On the credential paths (token and sign-in endpoints) anonymous requests are counted apart:
refused attempts per client id / account (`attempt_key`), so one bad client behind a NAT does
not lock out the others, under a generous ceiling per address against floods.

Each bucket is stored as its theoretical arrival time (the generic cell rate algorithm): a hit
moves it one emission interval ahead, and the client is refused while it would run more than
a period ahead of the clock. That is one float per client and rate, updated in place, so a
steady client allocates nothing (the `limits` moving window kept an object per hit for the
whole window, most of the gateway's garbage), and it is one value to share through a store
with compare-and-set (see `BucketStore`). Rates keep the `limits` notation of the settings.

The stores are awaited: the default keeps this process's buckets in memory (each replica
counts alone); `rate_limit_store=nats` shares them between every replica through a JetStream
key-value bucket (gateway.ratelimit_nats).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple, Protocol
from urllib.parse import parse_qs, unquote_plus

from limits import parse_many

from gateway.settings import GatewaySettings


class Rate(NamedTuple):
    """`amount` per `period` seconds, as the interval between two requests."""

    interval: float
    period: float


Rates = tuple[Rate, ...]


def parse_rates(text: str) -> Rates:
    """`50/second;2000/minute` as rates."""
    return tuple(
        Rate(item.get_expiry() / item.amount, float(item.get_expiry())) for item in parse_many(text)
    )


class BucketStore(Protocol):
    """Where the buckets of one kind of client live; a shared one serves every replica.

    A shared store keeps the same per-key value (one arrival time per rate) and must make
    `take` atomic per key, e.g. a compare-and-set loop on a key-value bucket.
    """

    async def take(self, key: str, rates: Rates, now: float) -> float:
        """Count one request if every rate allows it: 0.0, else the seconds to wait."""
        ...

    async def wait(self, key: str, rates: Rates, now: float) -> float:
        """The seconds `key` must wait before its next request (0.0: none), counting nothing."""
        ...

    async def sweep(self, now: float) -> None:
        """Forget clients whose buckets are full again."""
        ...

    async def reset(self) -> None:
        """Forget every client (tests)."""
        ...


class MemoryBuckets:
    """The default store: this process's buckets, called straight from the event loop."""

    __slots__ = ("_arrivals",)

    def __init__(self) -> None:
        self._arrivals: dict[str, list[float]] = {}

    def __len__(self) -> int:
        return len(self._arrivals)

    async def take(self, key: str, rates: Rates, now: float) -> float:
        return self.take_now(key, rates, now)

    def take_now(self, key: str, rates: Rates, now: float) -> float:
        """`take` without the await (the shared store's fallback calls it from sync code)."""
        arrivals = self._arrivals.get(key)
        if arrivals is None:
            arrivals = self._arrivals[key] = [now] * len(rates)
        wait = wait_time(arrivals, rates, now)
        if wait > 0.0:
            return wait
        advance(arrivals, rates, now)
        return 0.0

    async def wait(self, key: str, rates: Rates, now: float) -> float:
        arrivals = self._arrivals.get(key)
        return 0.0 if arrivals is None else wait_time(arrivals, rates, now)

    async def sweep(self, now: float) -> None:
        full = [key for key, arrivals in self._arrivals.items() if max(arrivals) <= now]
        for key in full:
            del self._arrivals[key]

    async def reset(self) -> None:
        self._arrivals.clear()


def advance(arrivals: list[float], rates: Rates, now: float) -> None:
    """Count one request: every rate's arrival time moves one interval past max(it, now)."""
    for i in range(len(rates)):
        arrival = arrivals[i]
        arrivals[i] = (arrival if arrival > now else now) + rates[i].interval


def wait_time(arrivals: list[float], rates: Rates, now: float) -> float:
    wait = 0.0
    for i in range(len(rates)):
        arrival = arrivals[i]
        interval, period = rates[i]
        ahead = (arrival if arrival > now else now) + interval - now - period
        if ahead > wait:
            wait = ahead
    return wait


def _retry_after(wait: float) -> int | None:
    return None if wait <= 0.0 else max(1, math.ceil(wait))


class RateLimits:
    """Counts a hit for a client and tells how long it must wait when it is over a limit.

    `store` makes the store of each kind of client (by name); the default keeps them in
    this process, so each gateway worker counts alone. `start` / `stop` open and close what
    a shared store needs (its connection); `on_start` / `on_stop` are those hooks.
    """

    KINDS = ("subject", "address", "credential-address", "failed-attempts")

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        store: Callable[[str], BucketStore] = lambda _kind: MemoryBuckets(),
        on_start: Callable[[], Awaitable[None]] | None = None,
        on_stop: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.enabled = settings.rate_limit_enabled
        self._on_start = on_start
        self._on_stop = on_stop
        self._subjects, self._addresses, self._credential_addresses, self._failures = (
            store(kind) for kind in self.KINDS
        )
        self._authenticated = parse_rates(settings.rate_limit_authenticated)
        self._anonymous = parse_rates(settings.rate_limit_anonymous)
        self._failed = parse_rates(settings.rate_limit_failed_attempts)
        self._credential_address = parse_rates(settings.rate_limit_credential_address)

    @property
    def longest_period(self) -> float:
        """The longest period of any rate: a bucket untouched that long is full again."""
        rates = (self._authenticated, self._anonymous, self._failed, self._credential_address)
        return max(rate.period for group in rates for rate in group)

    async def start(self) -> None:
        if self._on_start is not None:
            await self._on_start()

    async def stop(self) -> None:
        if self._on_stop is not None:
            await self._on_stop()

    async def hit(self, key: str, *, authenticated: bool) -> int | None:
        """Count one request; None when allowed, else the seconds to put in `Retry-After`."""
        if not self.enabled:
            return None
        if authenticated:
            return _retry_after(await self._subjects.take(key, self._authenticated, time.time()))
        return _retry_after(await self._addresses.take(key, self._anonymous, time.time()))

    async def hit_credential_address(self, address: str) -> int | None:
        """Count one anonymous request to a credential path against its address's ceiling."""
        if not self.enabled:
            return None
        store = self._credential_addresses
        return _retry_after(await store.take(address, self._credential_address, time.time()))

    async def failures_exceeded(self, key: str) -> int | None:
        """Seconds to wait when `key` has used up its failed attempts, else None (no count)."""
        if not self.enabled:
            return None
        return _retry_after(await self._failures.wait(key, self._failed, time.time()))

    async def failed(self, key: str) -> None:
        """Count one refused attempt of `key` (a client id or account)."""
        if self.enabled:
            await self._failures.take(key, self._failed, time.time())

    async def sweep(self) -> None:
        """Forget clients whose buckets are full again (call periodically)."""
        now = time.time()
        for store in self._stores:
            await store.sweep(now)

    async def reset(self) -> None:
        """Forget every count (tests)."""
        for store in self._stores:
            await store.reset()

    @property
    def _stores(self) -> tuple[BucketStore, ...]:
        return (self._subjects, self._addresses, self._credential_addresses, self._failures)


def attempt_key(
    authorization: bytes | None, content_type: bytes, body: bytes, *, address: str
) -> str | None:
    """Who a credential attempt is for: the HTTP Basic user, the form's `client_id` (with a
    `client_secret`), the JSON `username` or sign-in `transaction`, else the address; hashed,
    as transactions are secrets. None for a public client's code or refresh token: the SPA is
    one client for every officer, so its failures must not lock all of them out, and those
    long random values are not worth guessing (the address's ceiling still applies)."""
    value = _basic_user(authorization)
    if value is None:
        media = content_type.split(b";", 1)[0].strip().lower()
        if media == b"application/x-www-form-urlencoded":
            form = parse_qs(body.decode("latin-1"))
            if "client_id" in form and "client_secret" not in form:
                return None
            value = "client:" + form["client_id"][0] if "client_id" in form else None
        elif media == b"application/json" or media.endswith(b"+json"):
            value = _json_identity(body)
    value = value or "address:" + address
    return "attempt:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _basic_user(authorization: bytes | None) -> str | None:
    if authorization is None or authorization[:6].lower() != b"basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, _ = decoded.partition(":")
    return "client:" + unquote_plus(user) if sep and user else None


def _json_identity(body: bytes) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if isinstance(document, dict):
        for field in ("username", "transaction"):
            if isinstance(value := document.get(field), str) and value.strip():
                return f"{field}:{value.strip().lower()}"  # as access normalises names
    return None
