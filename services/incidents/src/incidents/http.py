"""HTTP helpers: entity tags and preconditions, keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from servicekit.errors import Problem, field_error


def etag(prefix: str, version: int) -> str:
    """A strong entity tag for a resource version."""
    return f'"{prefix}{version}"'


def check_if_match(header: str | None, current: str, *, required: bool) -> None:
    """RFC 9110 If-Match: 428 when required and absent, 412 when no tag matches."""
    if header is None or not header.strip():
        if required:
            raise Problem(
                428,
                "Precondition Required",
                "send If-Match with the ETag of the version you read",
            )
        return
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise Problem(
        412,
        "Precondition Failed",
        "the resource changed since you read it; read it again and retry",
        current_etag=current,
    )


def encode_cursor(*parts: Any) -> str:
    """An opaque cursor for keyset pagination."""
    values = [p.isoformat() if isinstance(p, datetime) else p for p in parts]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    """The parts of a cursor made by encode_cursor; 422 naming the parameter when invalid."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise field_error("query.cursor", "not a cursor returned by this API") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise field_error("query.cursor", "not a cursor returned by this API")
    return values


MAX_INT_KEY = 2**31 - 1
"""The largest integer key a column holds (INTEGER on PostgreSQL)."""


def cursor_int(value: Any) -> int:
    """An integer key part of a cursor (one a column can hold, else the database would fail)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT_KEY:
        raise field_error("query.cursor", "not a cursor returned by this API")
    return value


def cursor_time(value: Any) -> datetime:
    """A datetime part of a cursor."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise field_error("query.cursor", "not a cursor returned by this API") from exc
    if parsed.tzinfo is None:
        raise field_error("query.cursor", "not a cursor returned by this API")
    return parsed
