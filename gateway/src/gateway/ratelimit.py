"""Per-client rate limits with the `limits` library (in-memory store, one per gateway process).

A client is the token subject when the request carries a valid token, else the remote IP.
The in-memory store is synchronous and does only dictionary and list work, so it is called
directly from the event loop (the `limits.aio` memory store hands its expiry work to a thread
on every hit, which costs more than the check itself).
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


class RateLimits:
    """Counts a hit for a client and tells how long it must wait when it is over a limit."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.enabled = settings.rate_limit_enabled
        self._storage = MemoryStorage()
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

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._storage.reset()
