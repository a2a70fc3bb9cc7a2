"""MST (tax code) validation: shape, check digit, branch suffix."""

import pytest

from registry.epes.taxcode import (
    InvalidTaxCode,
    check_digit,
    is_valid_tax_code,
    normalise_tax_code,
    parent_tax_code,
)


@pytest.mark.parametrize("code", ["0100109106", "0100233583", "0101234565"])
def test_valid_enterprise_codes(code):
    assert normalise_tax_code(code) == code


def test_check_digit_is_computed_from_the_weights():
    # 0*31 + 1*29 + 0*23 + 0*19 + 1*17 + 0*13 + 9*7 + 1*5 + 0*3 = 114; 114 % 11 = 4; 10 - 4 = 6
    assert check_digit("010010910") == 6


def test_nine_digits_whose_check_would_be_ten_have_no_valid_code():
    # find a prefix with weighted sum = 0 mod 11 and make sure no tenth digit validates it
    prefix = next(f"{n:09d}" for n in range(100, 10**6) if check_digit(f"{n:09d}") is None)
    assert not any(is_valid_tax_code(prefix + str(d)) for d in range(10))


@pytest.mark.parametrize("wrong", ["0100109105", "0100109107", "0101234567"])
def test_wrong_check_digit_is_refused_with_the_expected_digit(wrong):
    with pytest.raises(InvalidTaxCode, match="check digit"):
        normalise_tax_code(wrong)


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("0100109106-001", "0100109106-001"),
        ("0100109106001", "0100109106-001"),
        (" 0100109106 - 001 ".replace(" - ", "-"), "0100109106-001"),
        ("0100109106 999", "0100109106-999"),
    ],
)
def test_branch_codes_are_normalised(given, normalised):
    assert normalise_tax_code(given) == normalised
    assert parent_tax_code(given) == "0100109106"


@pytest.mark.parametrize(
    "bad",
    ["", "010010910", "01001091061", "0100109106-01", "0100109106-0001", "01001O9106", "abc"],
)
def test_malformed_codes_are_refused(bad):
    with pytest.raises(InvalidTaxCode):
        normalise_tax_code(bad)


def test_branch_suffix_000_is_refused():
    with pytest.raises(InvalidTaxCode, match="001 to 999"):
        normalise_tax_code("0100109106-000")


def test_branch_of_an_invalid_head_office_is_refused():
    assert not is_valid_tax_code("0100109105-001")
