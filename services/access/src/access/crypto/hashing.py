"""Password hashing (argon2id) and digests of high-entropy bearer values."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Cost(Protocol):
    """The argon2id cost parameters (the service settings carry them; crypto imports no one)."""

    argon2_time_cost: int
    argon2_memory_cost: int
    argon2_parallelism: int


class Passwords:
    """argon2id hashing with the configured cost; verification never raises."""

    def __init__(self, settings: Argon2Cost) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        )
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        """An argon2id hash of the password."""
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether the password matches; unknown users are checked against a dummy hash."""
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether a stored hash uses older parameters."""
        return self._hasher.check_needs_rehash(stored)


def digest(value: str) -> str:
    """SHA-256 of a random bearer value (codes, refresh tokens, handles): lookups without it."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random value for codes, handles and client secrets."""
    return secrets.token_urlsafe(nbytes)


def salted_hmac(key: bytes, value: str) -> str:
    """`hmac-sha256:<salt>:<mac>` of a secret value, for the audit log (never the value)."""
    salt = secrets.token_hex(8)
    mac = hmac.new(key, salt.encode() + b"|" + value.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{salt}:{mac}"


def check_salted_hmac(key: bytes, value: str, recorded: str) -> bool:
    """Whether `recorded` is the salted HMAC of `value` (an investigator's check)."""
    try:
        scheme, salt, mac = recorded.split(":")
    except ValueError:
        return False
    if scheme != "hmac-sha256":
        return False
    expected = hmac.new(key, salt.encode() + b"|" + value.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, mac)
