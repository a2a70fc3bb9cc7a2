"""Vehicle plates (Vietnam) and container numbers (ISO 6346, via python-stdnum).

One implementation for every service that reads gates: incidents (manual gate logs) and
risk (customs declarations, ANPR reads) must accept and print the same numbers alike.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from stdnum import iso6346
from stdnum.exceptions import InvalidChecksum, ValidationError

# Province codes of civilian plates (Ministry of Public Security, Circular 24/2023/TT-BCA).
# 80 marks central
# agencies. Codes never issued (13, 42, 44-46, 87, 91, 96) are refused.
PROVINCE_CODES = frozenset(
    [11, 12, *range(14, 42), 43, *range(47, 87), 88, 89, 90, 92, 93, 94, 95, 97, 98, 99]
)
# Series letters used on plates: the Latin alphabet without I, J, O, Q and W (too easily
# confused with digits or absent from Vietnamese); R marks trailers and semi-trailers.
SERIES_LETTERS = "ABCDEFGHKLMNPRSTUVXYZ"

_PLATE = re.compile(
    rf"^(?P<province>\d{{2}})"
    rf"(?P<series>[{SERIES_LETTERS}]{{1,2}}|[{SERIES_LETTERS}]\d)"
    r"(?P<number>\d{4,5})$"
)
_SEPARATORS = re.compile(r"[\s.\-_/]")


def normalise_plate(value: str) -> str:
    """A Vietnamese civilian plate in its printed form ("51C-123.45", "29A-1234", "59X1-234.56").

    Accepts spaces, dots and dashes anywhere; checks the province code, the series letters
    (one or two letters, or a letter and a digit for motorcycles) and the 4- or 5-digit number.
    """
    compact = _SEPARATORS.sub("", value).upper()
    match = _PLATE.match(compact)
    if not match:
        raise ValueError(
            "not a Vietnamese plate: expected province code, series and number, "
            "e.g. 51C-123.45 or 29A-1234"
        )
    province = int(match["province"])
    if province not in PROVINCE_CODES:
        raise ValueError(f"{match['province']} is not a province code used on plates")
    number = match["number"]
    printed = f"{number[:3]}.{number[3:]}" if len(number) == 5 else number
    return f"{match['province']}{match['series']}-{printed}"


_CONTAINER = re.compile(r"^[A-Z]{3}[UJZ]\d{7}$")


def normalise_container_number(value: str) -> str:
    """An ISO 6346 container number, compact ("CSQU3054383"), with its check digit verified."""
    compact = _SEPARATORS.sub("", value).upper()
    if not _CONTAINER.match(compact):
        raise ValueError(
            "not an ISO 6346 container number: 3-letter owner code, category U, J or Z, "
            "6-digit serial and check digit, e.g. CSQU3054383"
        )
    try:
        return str(iso6346.validate(compact))
    except InvalidChecksum as exc:
        expected = iso6346.calc_check_digit(compact[:10])
        raise ValueError(f"check digit is wrong (expected {expected})") from exc
    except ValidationError as exc:
        raise ValueError(f"not an ISO 6346 container number: {exc}") from exc


Plate = Annotated[str, Field(min_length=4, max_length=20), AfterValidator(normalise_plate)]
"""A plate in an input model, normalised to its printed form."""

ContainerNumber = Annotated[
    str, Field(min_length=11, max_length=20), AfterValidator(normalise_container_number)
]
"""An ISO 6346 container number in an input model, normalised to its compact form."""
