"""MST (tax code) validation through python-stdnum: shape, check digit, branch suffix."""

import pytest

from registry.epes.taxcode import (
    InvalidTaxCode,
    is_valid_tax_code,
    normalise_tax_code,
    parent_tax_code,
)


@pytest.mark.parametrize("code", ["0100109106", "0100233583", "0101234565"])
def test_valid_enterprise_codes(code):
    assert normalise_tax_code(code) == code


def test_all_zero_serial_is_refused_although_its_check_digit_fits():
    # 0*31 + 1*29 + 0 ... = 29; 29 % 11 = 7; 10 - 7 = 3: the checksum alone would accept it
    with pytest.raises(InvalidTaxCode, match="serial"):
        normalise_tax_code("0100000003")


def test_nine_digits_whose_check_would_be_ten_have_no_valid_code():
    # 0*31 + 1*29 + 0*23 + 0*19 + 0*17 + 0*13 + 0*7 + 3*5 + 0*3 = 44 = 0 mod 11
    assert not any(is_valid_tax_code(f"010000030{d}") for d in range(10))


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
