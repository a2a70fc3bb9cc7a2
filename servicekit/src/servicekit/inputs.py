"""What a service accepts at its edge: known fields only, sane instants, printable text.

Every request body model derives from `InputModel`, so a vendor's misspelt or invented field
(say `notified_at`) is a 422 naming it rather than silently dropped, and no value reaches the
database that PostgreSQL refuses (NUL) or that overflows on conversion to UTC (year 1 or 9999
with an offset). Query and path parameters use the annotated types (`CleanStr`, `Instant`),
and `clean_url` refuses control characters in every one of them, declared or not.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Request
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    SecretStr,
    field_validator,
)

from servicekit.errors import field_error

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Accepted instants: from 2000 (before any EPE was supervised by camera) to 2100 (exclusive)."""

_ALLOWED_CONTROLS = frozenset("\t\n\r")


def refuse_control_characters(value: str) -> str:
    """Refuse control characters but tab, newline and CR, and lone surrogates.

    PostgreSQL cannot store NUL nor encode a lone surrogate; the others have no place in text
    a person wrote.
    """
    for char in value:
        if char in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            raise ValueError("must not contain control characters")
        if category == "Cs":
            raise ValueError("must not contain unpaired surrogates")
    return value


def bounded_instant(value: datetime) -> datetime:
    """An aware instant within [EARLIEST, LATEST), normalised to UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset, e.g. +07:00 or Z")
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be from {EARLIEST.year} up to (not including) {LATEST.year}")
    return value.astimezone(UTC)


FIRST_DAY = date(1900, 1, 1)
"""Days go further back than instants: an EPE's investment certificate may date from the 1990s."""


def bounded_date(value: date) -> date:
    """A calendar day from 1900 up to (not including) 2100."""
    if not FIRST_DAY <= value < LATEST.date():
        raise ValueError(f"must be from {FIRST_DAY.year} up to (not including) {LATEST.year}")
    return value


CleanStr = Annotated[str, AfterValidator(refuse_control_characters)]
"""A string without control characters; add `Query(max_length=...)` or `StringConstraints`."""

Instant = Annotated[AwareDatetime, AfterValidator(bounded_instant)]
"""A timezone-aware instant between 2000 and 2100, normalised to UTC."""

Day = Annotated[date, AfterValidator(bounded_date)]
"""A calendar day between 1900 and 2100."""


def _checked(value: Any) -> Any:  # noqa: PLR0911 -- one return per kind of input value
    if isinstance(value, str):
        return refuse_control_characters(value)
    if isinstance(value, SecretStr):
        refuse_control_characters(value.get_secret_value())
        return value
    if isinstance(value, datetime):
        return bounded_instant(value)
    if isinstance(value, date):
        return bounded_date(value)
    if isinstance(value, Mapping):
        return {_checked(k): _checked(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_checked(item) for item in value)
    return value


class InputModel(BaseModel):
    """Base of every request body: unknown fields refused; text, instants and days checked.

    The checks apply to every field of a subclass, so a field added later cannot forget them;
    nested models are checked by their own class, so they derive from `InputModel` too.
    """

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _at_the_edge(cls, value: Any) -> Any:
        return _checked(value)


def _unclean(value: str) -> str | None:
    """Why `value` is refused, or None."""
    try:
        refuse_control_characters(value)
    except ValueError as exc:
        return str(exc)
    return None


async def clean_url(request: Request) -> None:
    """Refuse control characters in any path or query parameter, by name (in a PostgreSQL
    WHERE clause NUL is a 500); every service app depends on it."""
    sources = (("path", request.path_params.items()), ("query", request.query_params.multi_items()))
    for source, items in sources:
        for name, value in items:
            if reason := _unclean(str(name)):
                raise field_error(source, f"a parameter name {reason}")
            if reason := _unclean(str(value)):
                raise field_error(f"{source}.{name}", reason)
