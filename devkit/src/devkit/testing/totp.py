"""TOTP codes for the seeded accounts that the access service will accept on the first try.

The service accepts each time step once, never one older than the last used, and one step
of drift either way; every refused code counts toward the account's lockout. A session-wide
stack signs the same officers in many times within a step, so guessing (try this code, then
the next) piles up refusals until the account locks. Every test in a process takes its codes
here instead: each step is handed out once per secret, waiting for the next step when the
current and the following one are spent."""

from __future__ import annotations

import threading
import time

import pyotp

_last_step: dict[str, int] = {}
_lock = threading.Lock()


def fresh_code(secret: str) -> str:
    """A code for the earliest step not yet handed out that the service accepts now: the
    current step, else the next one (accepted for the next minute, so a slow request still
    lands in time), else wait until a step is free. Never the previous step: a request that
    crossed a step boundary on the way would arrive two steps late."""
    totp = pyotp.TOTP(secret)
    with _lock:
        while True:
            now = time.time()
            current = int(now // totp.interval)
            last = _last_step.get(secret, current - 1)
            step = max(current, last + 1)
            if step <= current + 1:
                _last_step[secret] = step
                return totp.generate_otp(step)
            time.sleep(totp.interval - now % totp.interval + 0.05)
