"""Vietnamese phone numbers: dialable numbers only, kept in E.164."""

from __future__ import annotations

import pytest

from servicekit.phones import vietnamese_phone


@pytest.mark.parametrize(
    ("given", "stored"),
    [("0912 345 678", "+84912345678"), ("+84 24 3825 1234", "+842438251234")],
)
def test_numbers_are_kept_in_e164(given, stored):
    assert vietnamese_phone(given) == stored


@pytest.mark.parametrize("given", ["0000000000", "0112345678", "+1 202 555 0100", "call me"])
def test_numbers_that_cannot_be_dialled_in_vietnam_are_refused(given):
    with pytest.raises(ValueError, match="Vietnamese phone number"):
        vietnamese_phone(given)
