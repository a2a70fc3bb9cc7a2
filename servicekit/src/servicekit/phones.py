"""Vietnamese phone numbers, checked against libphonenumber's numbering plan, kept in E.164."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, Field

MESSAGE = "a Vietnamese phone number, e.g. 0912 345 678 or +84 24 3825 1234"


def vietnamese_phone(value: str) -> str:
    """The number in E.164, or ValueError when it is not a dialable Vietnamese number."""
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException:
        raise ValueError(MESSAGE) from None
    if (
        number.extension
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "VN"
    ):
        raise ValueError(MESSAGE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[
    str, Field(max_length=32, examples=["+84 24 3825 1234"]), AfterValidator(vietnamese_phone)
]
"""A Vietnamese phone number as input, stored in E.164."""
