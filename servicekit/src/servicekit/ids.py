"""Row identifiers: UUIDv7 strings, so ids sort by creation time (keyset pagination)."""

from __future__ import annotations

from uuid6 import uuid7


def new_id() -> str:
    """A fresh time-ordered identifier (RFC 9562 UUIDv7) in its canonical text form."""
    return str(uuid7())
