"""Opaque cursors for `{"data": [...], "next_cursor": ...}` lists."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Query

from servicekit.errors import field_error

CursorQuery = Annotated[
    str | None, Query(max_length=500, description="next_cursor of the previous page")
]
LimitQuery = Annotated[int, Query(ge=1, le=200, description="page size")]

MAX_INT_KEY = 2**31 - 1
"""The largest integer key a column holds (INTEGER on PostgreSQL): larger ones are refused."""


def encode_cursor(value: str | int) -> str:
    """An opaque cursor for the last key of a page."""
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    """The key a cursor stands for (422 naming the field when it is not one of ours)."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise field_error("query.cursor", "is not a cursor this service issued") from exc


def decode_int_cursor(cursor: str | None) -> int:
    """A cursor over an integer key (0 when absent)."""
    raw = decode_cursor(cursor)
    if raw is None:
        return 0
    try:
        value = int(raw)
    except ValueError as exc:
        raise field_error("query.cursor", "is not a cursor this service issued") from exc
    if not 0 <= value <= MAX_INT_KEY:
        raise field_error("query.cursor", "is not a cursor this service issued")
    return value


def next_cursor(keys: list[str] | list[int], limit: int) -> str | None:
    """The cursor of the next page, or None when this page was the last."""
    if len(keys) < limit or not keys:
        return None
    return encode_cursor(keys[-1])
