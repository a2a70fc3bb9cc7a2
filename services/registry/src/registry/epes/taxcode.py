"""Vietnamese tax identification numbers (mã số thuế, MST).

An enterprise's MST has 10 digits: N1N2 the issuing area, N3-N9 a serial and N10 a check digit
computed with the weights 31, 29, 23, 19, 17, 13, 7, 5, 3 over N1-N9 (mod 11). A dependent unit
(branch, representative office) adds a 3-digit suffix 001-999: "0100109106-001". We store the
normalised form: 10 digits, or 10 digits, a hyphen and 3 digits.
"""

from __future__ import annotations

import re

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_SHAPE = re.compile(r"^(\d{10})(?:[- ]?(\d{3}))?$")


class InvalidTaxCode(ValueError):
    """The text is not a well-formed MST; the message says why."""


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine leading digits, or None when no valid code has them."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise InvalidTaxCode("the check digit is computed over exactly 9 digits")
    remainder = sum(w * int(d) for w, d in zip(WEIGHTS, first_nine, strict=True)) % 11
    digit = 10 - remainder
    return None if digit == 10 else digit


def normalise_tax_code(value: str) -> str:
    """The canonical MST for `value`, or InvalidTaxCode explaining what is wrong."""
    text = value.strip().replace(".", "")
    match = _SHAPE.match(text)
    if match is None:
        raise InvalidTaxCode(
            "a tax code has 10 digits, or 10 digits and a 3-digit branch suffix (0100109106-001)"
        )
    main, branch = match.group(1), match.group(2)
    expected = check_digit(main[:9])
    if expected is None:
        raise InvalidTaxCode("no valid tax code starts with these 9 digits")
    if int(main[9]) != expected:
        raise InvalidTaxCode(f"the check digit (10th digit) should be {expected}")
    if branch is not None:
        if branch == "000":
            raise InvalidTaxCode("a branch suffix runs from 001 to 999")
        return f"{main}-{branch}"
    return main


def is_valid_tax_code(value: str) -> bool:
    """Whether `value` is a valid MST (enterprise or branch)."""
    try:
        normalise_tax_code(value)
    except InvalidTaxCode:
        return False
    return True


def parent_tax_code(value: str) -> str:
    """The enterprise's 10-digit MST of a code (itself for a head office)."""
    return normalise_tax_code(value)[:10]
