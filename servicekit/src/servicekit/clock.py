"""Time as a dependency: code asks a clock, so tests can move time on purpose.

Routes take ``ClockDep``; it answers the clock the app keeps in ``app.state.clock`` (set it
at start-up, or in a test), else the wall clock. Tests may also override ``get_clock``.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from fastapi import Depends, Request


def utc_now() -> datetime:
    """The current instant in UTC (timezone-aware): the wall clock, for code without a Clock."""
    return datetime.now(UTC)


class Clock(Protocol):
    """Something that tells the current time (timezone-aware, UTC)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return utc_now()


class ManualClock:
    """A clock that stands still until told to move (tests, demos, replays)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the start time must carry a time zone")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The instant the clock was last set to."""
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to an instant (aware)."""
        if instant.tzinfo is None:
            raise ValueError("the instant must carry a time zone")
        with self._lock:
            self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by delta."""
        with self._lock:
            self._now += delta


SYSTEM_CLOCK = SystemClock()


def get_clock(request: Request) -> Clock:
    """The app's clock (``app.state.clock``), or the wall clock when the app keeps none."""
    clock: Clock = getattr(request.app.state, "clock", SYSTEM_CLOCK)
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
