"""Input types shared by the domains: clean text, bounded instants."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, StringConstraints

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2090, 1, 1, tzinfo=UTC)


def _clean(value: str) -> str:
    """Refuse control characters (NUL breaks PostgreSQL; others have no place in a notice)."""
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in "\n\t\r":
            raise ValueError("must not contain control characters")
        if unicodedata.category(char) in {"Cs", "Co", "Cn"}:
            raise ValueError("must contain only assigned, printable characters")
    return unicodedata.normalize("NFC", value)


def _bounded(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError("must be between 2000-01-01 and 2090-01-01")
    return value.astimezone(UTC)


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(_clean),
]
"""Free text of a form field: 1 to 4,000 characters, no control characters."""

ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_clean),
]
"""A name, phone number or short label."""

Instant = Annotated[AwareDatetime, AfterValidator(_bounded)]
"""A timezone-aware instant within a sane range, normalised to UTC."""
