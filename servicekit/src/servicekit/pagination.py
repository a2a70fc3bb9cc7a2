"""Keyset pagination: opaque cursors, the cursor and limit query parameters, the page model.

A cursor is the sort key of a page's last row (a JSON list, base64url without padding);
the next page fetches rows after it. Lists fetch ``limit + 1`` rows and ``page_of`` trims
them, so the last page says ``next_cursor: null`` without an extra request.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from servicekit.errors import field_error

T = TypeVar("T")

MAX_INT_KEY = 2**31 - 1
"""The largest integer a key column holds (INTEGER on PostgreSQL): larger ones are refused."""

NOT_A_CURSOR = "not a cursor returned by this API"
CURSOR_HINT = "next_cursor of the previous page"
LIMIT_HINT = "page size"


def cursor_param(*, described: bool = True) -> Any:
    """The ``cursor`` query parameter, for ``Annotated[str | None, cursor_param()] = None``."""
    return Query(max_length=500, description=CURSOR_HINT if described else None)


def limit_param(maximum: int = 200, *, described: bool = True) -> Any:
    """The ``limit`` query parameter (1..maximum), for ``Annotated[int, limit_param()] = 50``."""
    return Query(ge=1, le=maximum, description=LIMIT_HINT if described else None)


def encode_cursor(*parts: Any) -> str:
    """An opaque cursor from the last row's sort key (datetimes travel as ISO 8601)."""
    values = [p.isoformat() if isinstance(p, datetime) else p for p in parts]
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, arity: int | None = None) -> list[Any] | None:
    """The sort key inside a cursor (None when absent), or a 422 naming ``cursor``."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise field_error("query.cursor", NOT_A_CURSOR) from exc
    if not isinstance(key, list) or not key or not all(_key_part(k) for k in key):
        raise field_error("query.cursor", NOT_A_CURSOR)
    if arity is not None and len(key) != arity:
        raise field_error("query.cursor", NOT_A_CURSOR)
    return key


def _key_part(value: Any) -> bool:
    """A string, or an integer a column can hold (a larger one would fail in the database)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, str) or (isinstance(value, int) and abs(value) <= MAX_INT_KEY)


def cursor_int(value: Any) -> int:
    """A non-negative integer part of a decoded cursor."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT_KEY:
        raise field_error("query.cursor", NOT_A_CURSOR)
    return value


def cursor_time(value: Any) -> datetime:
    """A timezone-aware datetime part of a decoded cursor."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise field_error("query.cursor", NOT_A_CURSOR) from exc
    if parsed.tzinfo is None:
        raise field_error("query.cursor", NOT_A_CURSOR)
    return parsed


def page_of(
    rows: list[T], limit: int, key: Callable[[T], Sequence[Any]]
) -> tuple[list[T], str | None]:
    """Trim a ``limit + 1`` fetch to ``limit`` rows and compute the next cursor."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(*key(rows[-1]))
    return rows, None


class Page(BaseModel, Generic[T]):
    """One page of a cursor-paginated list.

    Used as ``Page[Item]`` it publishes the ``Page_Item_`` component. A named page whose
    contract always carries the cursor declares it required, keeping its published shape::

        class UsersPage(Page[UserPublic]):
            next_cursor: str | None
    """

    data: list[T]
    next_cursor: str | None = Field(
        default=None, description="pass as ?cursor= to get the next page; null on the last"
    )
