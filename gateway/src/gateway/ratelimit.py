"""Per-client rate limits with the `limits` library (in-memory store, one per gateway process).

A client is the token subject when the request carries a valid token, else the remote IP.
The in-memory store is synchronous and does only dictionary and list work, so it is called
directly from the event loop. Its expiry sweep is run by the gateway's event loop too (see
`LoopSweptMemoryStorage`); the `limits.aio` memory store hands that sweep to a thread on
nearly every hit, which costs more than the check itself.
"""

from __future__ import annotations

import math
import time

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

    def hit(self, key: str, *, authenticated: bool) -> int | None:
        """Count one request; None when allowed, else the seconds to put in `Retry-After`."""
        if not self.enabled:
            return None
        items = self._authenticated if authenticated else self._anonymous
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
