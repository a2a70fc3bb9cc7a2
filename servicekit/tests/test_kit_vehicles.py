"""Vietnamese plates and ISO 6346 container numbers."""

from __future__ import annotations

import pytest

from servicekit.vehicles import normalise_container_number, normalise_plate


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("51C-123.45", "51C-123.45"),
        ("51c 12345", "51C-123.45"),
        ("29A-1234", "29A-1234"),
        ("29LD-123.45", "29LD-123.45"),  # two-letter series (foreign-invested enterprises)
        ("51R-012.34", "51R-012.34"),  # trailer / semi-trailer
        ("59X1-234.56", "59X1-234.56"),  # motorcycle: letter and digit
        ("80NG-123.45", "80NG-123.45"),  # central agencies
    ],
)
def test_valid_plates_are_normalised(raw: str, printed: str) -> None:
    assert normalise_plate(raw) == printed


@pytest.mark.parametrize(
    "raw",
    [
        "13A-123.45",  # 13 is not a province code
        "42A-12345",  # nor 42
        "51I-123.45",  # I is not a series letter
        "51O-12345",  # nor O
        "51C-123",  # too few digits
        "51C-1234567",  # too many
        "ABC-12345",
        "5C-12345",
    ],
)
def test_invalid_plates_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_plate(raw)


@pytest.mark.parametrize(
    ("raw", "compact"),
    [
        ("CSQU3054383", "CSQU3054383"),
        ("csqu 305438 3", "CSQU3054383"),
        ("MSCU-123456-6", "MSCU1234566"),
        ("TGHU 975630 0", "TGHU9756300"),
    ],
)
def test_valid_container_numbers(raw: str, compact: str) -> None:
    assert normalise_container_number(raw) == compact


def test_wrong_check_digit_names_the_expected_one() -> None:
    with pytest.raises(ValueError, match=r"expected 3"):
        normalise_container_number("CSQU3054384")


@pytest.mark.parametrize(
    "raw",
    ["CSQX3054383", "CS1U3054383", "CSQU305438", "CSQU30543833", "ĐSQU3054383"],
)
def test_malformed_container_numbers(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_container_number(raw)


def test_annotated_types_normalise_and_name_the_field() -> None:
    from pydantic import BaseModel, ValidationError

    from servicekit.vehicles import ContainerNumber, Plate

    class Gate(BaseModel):
        plate: Plate
        container: ContainerNumber

    gate = Gate(plate="51c 12345", container="csqu 305438 3")
    assert (gate.plate, gate.container) == ("51C-123.45", "CSQU3054383")
    with pytest.raises(ValidationError) as caught:
        Gate(plate="51C-123.45", container="CSQU3054384")
    assert caught.value.errors()[0]["loc"] == ("container",)
