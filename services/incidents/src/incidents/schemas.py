"""Input types shared by the domains: clean text, bounded instants."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

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


def _phone(value: str) -> str:
    """A Vietnamese number customs can dial, in E.164 (libphonenumber knows the numbering plan)."""
    message = "a Vietnamese phone number, e.g. 0912 345 678 or +84 24 3825 1234"
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException:
        raise ValueError(message) from None
    if (
        number.extension
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "VN"
    ):
        raise ValueError(message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


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

Phone = Annotated[str, Field(max_length=32, examples=["+84 24 3825 1234"]), AfterValidator(_phone)]
"""A Vietnamese phone number, stored in E.164."""
