"""Input types shared by the domains: clean text of form-field sizes, bounded instants."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from servicekit.inputs import CleanStr
from servicekit.inputs import Instant as Instant
from servicekit.phones import Phone as Phone


def _nfc(value: str) -> str:
    """One spelling of Vietnamese letters, so searches and the PDF see the same text."""
    return unicodedata.normalize("NFC", value)


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
