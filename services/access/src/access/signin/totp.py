"""TOTP second factor: the sealed secret and codes matched at most once per time step."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

from access.crypto.contexts import totp_context
from access.crypto.envelope import read_sealed
from access.officers.models import User
from access.runtime import Runtime


def totp_secret(user: User, *, runtime: Runtime) -> str | None:
    """The officer's TOTP secret, unsealed (only in memory, never returned after enrolment)."""
    sealed = read_sealed(user)
    if sealed is None:
        return None
    return runtime.envelope.open(sealed, context=totp_context(user.id)).decode()


def match_totp(user: User, code: str, *, runtime: Runtime, now: datetime) -> int | None:
    """The time step a code matches (one step of drift either way), never a used one."""
    secret = totp_secret(user, runtime=runtime)
    if secret is None:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
