"""Per-client rate limits with the `limits` library (in-memory store, one per gateway process).

A client is the token subject when the request carries a valid token, else the remote IP.
On the credential paths (token and sign-in endpoints) anonymous requests are counted apart:
refused attempts per client id / account (`attempt_key`), so one bad client behind a NAT does
not lock out the others, under a generous ceiling per address against floods.
The in-memory store is synchronous and does only dictionary and list work, so it is called
directly from the event loop. Its expiry sweep is run by the gateway's event loop too (see
`LoopSweptMemoryStorage`); the `limits.aio` memory store hands that sweep to a thread on
nearly every hit, which costs more than the check itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import time
from urllib.parse import parse_qs, unquote_plus

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)

from gateway.settings import GatewaySettings, RateLimitStrategy

STRATEGIES: dict[RateLimitStrategy, type[RateLimiter]] = {
    RateLimitStrategy.MOVING_WINDOW: MovingWindowRateLimiter,
    RateLimitStrategy.SLIDING_WINDOW_COUNTER: SlidingWindowCounterRateLimiter,
    RateLimitStrategy.FIXED_WINDOW: FixedWindowRateLimiter,
}


class _AlwaysAlive:
    """Stands in for MemoryStorage's timer thread so that hits never start a new one."""

    def is_alive(self) -> bool:
        return True

    def cancel(self) -> None:
        return None


class LoopSweptMemoryStorage(MemoryStorage):
    """`limits`' in-memory storage whose expiry sweep is called by its owner, not a thread.

    `MemoryStorage` starts a fresh `threading.Timer` (10 ms) on each hit after the previous
    sweep ended: under load about a hundred thread starts a second, each stalling the event
    loop while the new thread takes the GIL (measured: about a tenth of the gateway's time).
    Here the gateway calls `sweep()` from an asyncio task once a second instead. The sweep
    itself is the library's own (`tests/test_gateway_ratelimit.py` checks that it still
    drops expired entries, so a change in the library shows up there).
    """

    def __init__(self) -> None:
        super().__init__()
        self.timer.cancel()
        self.timer = _AlwaysAlive()  # type: ignore[assignment]

    def sweep(self) -> None:
        """Drop expired moving-window entries and counters, and clients left with none."""
        self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        # The library keeps an empty list per client it has seen; with many addresses that
        # grows without end, so forget clients whose window is empty.
        for key in [key for key, entries in self.events.items() if not entries]:
            del self.events[key]


class RateLimits:
    """Counts a hit for a client and tells how long it must wait when it is over a limit."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.enabled = settings.rate_limit_enabled
        self._storage = LoopSweptMemoryStorage()
        self._limiter = STRATEGIES[settings.rate_limit_strategy](self._storage)
        self._authenticated = parse_many(settings.rate_limit_authenticated)
        self._anonymous = parse_many(settings.rate_limit_anonymous)
        self._failures = parse_many(settings.rate_limit_failed_attempts)
        self._credential_address = parse_many(settings.rate_limit_credential_address)

    def hit(self, key: str, *, authenticated: bool) -> int | None:
        """Count one request; None when allowed, else the seconds to put in `Retry-After`."""
        return self._hit(self._authenticated if authenticated else self._anonymous, key)

    def hit_credential_address(self, address: str) -> int | None:
        """Count one anonymous request to a credential path against its address's ceiling."""
        return self._hit(self._credential_address, "cred-ip:" + address)

    def failures_exceeded(self, key: str) -> int | None:
        """Seconds to wait when `key` has used up its failed attempts, else None (no count)."""
        if not self.enabled:
            return None
        for item in self._failures:
            if not self._limiter.test(item, "failed:" + key):
                return self._retry_after(item, "failed:" + key)
        return None

    def failed(self, key: str) -> None:
        """Count one refused attempt of `key` (a client id or account)."""
        if self.enabled:
            for item in self._failures:
                self._limiter.hit(item, "failed:" + key)

    def _hit(self, items: list[RateLimitItem], key: str) -> int | None:
        if not self.enabled:
            return None
        for item in items:
            if not self._limiter.hit(item, key):
                return self._retry_after(item, key)
        return None

    def _retry_after(self, item: RateLimitItem, key: str) -> int:
        reset_at = self._limiter.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def sweep(self) -> None:
        """Forget hits that are out of every window (call periodically)."""
        self._storage.sweep()

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._storage.reset()


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
