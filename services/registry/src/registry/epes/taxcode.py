"""Vietnamese tax identification numbers (mã số thuế, MST), checked by python-stdnum.

An enterprise's MST has 10 digits (the last a check digit); a dependent unit (branch,
representative office) adds a 3-digit suffix 001-999: "0100109106-001". We store the normalised
form: 10 digits, or 10 digits, a hyphen and 3 digits. This module only turns the library's
exceptions into messages a person can act on.
"""

from __future__ import annotations

from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.vn import mst


class InvalidTaxCode(ValueError):
    """The text is not a well-formed MST; the message says why."""


def _reason(exc: ValidationError, compact: str) -> str:
    if isinstance(exc, InvalidLength | InvalidFormat):
        return "a tax code has 10 digits, or 10 digits and a 3-digit branch suffix (0100109106-001)"
    if isinstance(exc, InvalidComponent):
        if compact[2:9] == "0000000":
            return "the serial (3rd to 9th digits) of a tax code is never all zeros"
        return "a branch suffix runs from 001 to 999"
    if isinstance(exc, InvalidChecksum):
        expected = mst.calc_check_digit(compact)
        if len(expected) > 1:
            return "no valid tax code starts with these 9 digits"
        return f"the check digit (10th digit) should be {expected}"
    return "not a valid tax code"


def normalise_tax_code(value: str) -> str:
    """The canonical MST for `value`, or InvalidTaxCode explaining what is wrong."""
    try:
        return mst.format(mst.validate(value))
    except ValidationError as exc:
        raise InvalidTaxCode(_reason(exc, mst.compact(value))) from None


def is_valid_tax_code(value: str) -> bool:
    """Whether `value` is a valid MST (enterprise or branch)."""
    return mst.is_valid(value)


def parent_tax_code(value: str) -> str:
    """The enterprise's 10-digit MST of a code (itself for a head office)."""
    return normalise_tax_code(value)[:10]
