"""Noisy camera reads: known OCR/ANPR confusions, and ISO 6346 check-digit repair.

A container read is first coerced by position (owner code and category are letters, serial
and check digit are digits: an O among the digits is a 0). If that does not give a valid
number, one character is swapped for a look-alike; the repair is accepted only when exactly
one such swap satisfies the check digit, so a guess is never taken for a read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from stdnum import iso6346

LOOK_ALIKES: dict[str, str] = {
    "O": "0DQ",
    "0": "ODQ",
    "D": "0O",
    "Q": "0O",
    "I": "1LT",
    "1": "ILT",
    "L": "1I",
    "T": "1I7",
    "7": "T",
    "B": "8",
    "8": "B",
    "S": "5",
    "5": "S",
    "Z": "2",
    "2": "Z",
    "G": "6",
    "6": "G",
    "A": "4",
    "4": "A",
}
"""Characters cameras confuse, both ways."""

CONFUSION_PENALTY = 0.1
"""Score lost per look-alike character in a plate read."""


def confusable(a: str, b: str) -> bool:
    """Whether a camera may read one character as the other."""
    return a == b or b in LOOK_ALIKES.get(a, "")


@dataclass(frozen=True)
class ContainerRead:
    """What a container read is taken to be, and how."""

    read: str
    number: str
    repairs: tuple[str, ...] = field(default=())
    """Each change made, e.g. "position 6: read O, taken as 0"."""

    @property
    def repaired(self) -> bool:
        """Whether the number differs from what the camera read."""
        return bool(self.repairs)


def _note(index: int, read: str, taken: str) -> str:
    return f"position {index + 1}: read {read}, taken as {taken}"


def _coerce(read: str) -> tuple[str, list[str]]:
    chars, notes = list(read), []
    for index, char in enumerate(chars):
        wants_letter = index < 4
        if char.isalpha() != wants_letter:
            fits = [c for c in LOOK_ALIKES.get(char, "") if c.isalpha() == wants_letter]
            if fits:
                chars[index] = fits[0]
                notes.append(_note(index, char, fits[0]))
    return "".join(chars), notes


def _valid(number: str) -> bool:
    return bool(iso6346.is_valid(number)) and number[3] in "UJZ"


@lru_cache(maxsize=8192)  # pure and asked several times per read by the rules
def repair_container(read: str) -> ContainerRead | None:
    """The container a read stands for, or None when it cannot be told for certain."""
    if len(read) != 11:
        return None
    coerced, notes = _coerce(read)
    if _valid(coerced):
        return ContainerRead(read, coerced, tuple(notes))
    candidates = []
    for index, char in enumerate(coerced):
        for other in LOOK_ALIKES.get(char, ""):
            if other.isalpha() != (index < 4):
                continue
            number = coerced[:index] + other + coerced[index + 1 :]
            if _valid(number):
                candidates.append((number, _note(index, char, other)))
    if len(candidates) != 1:
        return None
    number, note = candidates[0]
    return ContainerRead(read, number, (*notes, note))


def plate_score(read: str, declared: str) -> float:
    """How well a plate read fits a declared plate (compact forms): 1 for the same text,
    less per look-alike character, 0 when any other character differs."""
    if len(read) != len(declared):
        return 0.0
    score = 1.0
    for a, b in zip(read, declared, strict=True):
        if a == b:
            continue
        if not confusable(a, b):
            return 0.0
        score -= CONFUSION_PENALTY
    return round(score, 2)
