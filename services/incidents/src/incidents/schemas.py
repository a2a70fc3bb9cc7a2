"""Input types shared by the domains: clean text of form-field sizes, bounded instants."""

from __future__ import annotations

import unicodedata
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field, StringConstraints

from servicekit.inputs import CleanStr
from servicekit.inputs import Instant as Instant


def _nfc(value: str) -> str:
    """One spelling of Vietnamese letters, so searches and the PDF see the same text."""
    return unicodedata.normalize("NFC", value)


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
    CleanStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4000),
    AfterValidator(_nfc),
]
"""Free text of a form field: 1 to 4,000 characters, no control characters."""

ShortText = Annotated[
    CleanStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_nfc),
]
"""A name, phone number or short label."""

Phone = Annotated[str, Field(max_length=32, examples=["+84 24 3825 1234"]), AfterValidator(_phone)]
"""A Vietnamese phone number, stored in E.164."""
