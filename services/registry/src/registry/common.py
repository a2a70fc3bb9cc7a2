"""Small helpers every registry domain uses: ids, clocks, cursors and local time."""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from servicekit.errors import field_error

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
T = TypeVar("T")


def utc_now() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def new_id() -> str:
    """A time-ordered UUIDv7 string, so ids sort by creation time (keyset pagination)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def local_time(value: datetime | None) -> str | None:
    """A UTC instant shown in Vietnam's time (UTC+7) for people."""
    return value.astimezone(VN_TZ).isoformat() if value is not None else None


def encode_cursor(key: Sequence[Any]) -> str:
    """An opaque cursor from the last row's sort key."""
    raw = json.dumps(list(key), default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> list[Any] | None:
    """The sort key inside a cursor, or a 422 naming `cursor` when it was tampered with."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise field_error("query.cursor", "not a cursor returned by this API") from exc
    if not isinstance(key, list) or not key or not all(_key_part(k) for k in key):
        raise field_error("query.cursor", "not a cursor returned by this API")
    return key


MAX_INT_KEY = 2**31 - 1
"""The largest integer a key column holds (INTEGER on PostgreSQL)."""


def _key_part(value: Any) -> bool:
    """A string, or an integer a column can hold (a larger one would fail in the database)."""
    return isinstance(value, str) or (isinstance(value, int) and abs(value) <= MAX_INT_KEY)


class Page(BaseModel, Generic[T]):
    """One page of a cursor-paginated list."""

    data: list[T]
    next_cursor: str | None = Field(
        default=None, description="pass as ?cursor= to get the next page; null on the last"
    )


def page_of(rows: list[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Trim a `limit + 1` fetch to `limit` rows and compute the next cursor."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(key(rows[-1]))
    return rows, None
