"""Look-alike characters in camera reads and ISO 6346 check-digit repair."""

from __future__ import annotations

import pytest

from risk.matching.reads import plate_score, repair_container


def test_a_valid_read_needs_no_repair() -> None:
    read = repair_container("CSQU3054383")
    assert read is not None and read.number == "CSQU3054383" and not read.repaired


@pytest.mark.parametrize(
    ("raw", "repair"),
    [
        ("CSQU3O54383", "position 6: read O, taken as 0"),  # letter among the digits
        ("C5QU3054383", "position 2: read 5, taken as S"),  # digit in the owner code
        ("MSKU12345G5", "position 10: read G, taken as 6"),
        ("CSOU3054383", "position 3: read O, taken as Q"),  # only the check digit tells
    ],
)
def test_a_single_look_alike_is_repaired_and_said(raw: str, repair: str) -> None:
    read = repair_container(raw)
    assert read is not None
    assert read.number in {"CSQU3054383", "MSKU1234565"}
    assert read.repaired and read.repairs == (repair,)


@pytest.mark.parametrize(
    "raw",
    [
        "CSQU3054384",  # wrong check digit, and 4 has no look-alike that fits
        "CSQU305438",  # too short
        "XXXX0000000",
    ],
)
def test_no_guess_is_taken_for_a_read(raw: str) -> None:
    assert repair_container(raw) is None


def test_plate_scores_tolerate_look_alikes_only() -> None:
    assert plate_score("51C12345", "51C12345") == 1.0
    assert plate_score("51C1Z345", "51C12345") == 0.9
    assert plate_score("5IC1Z345", "51C12345") == 0.8
    assert plate_score("51C12346", "51C12345") == 0.0
    assert plate_score("51C1234", "51C12345") == 0.0
