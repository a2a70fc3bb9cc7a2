"""Parsing one HTTP byte range against a file's size."""

from __future__ import annotations

import pytest

from evidence.reading.ranges import ByteRange, if_range_holds, parse_range
from servicekit.errors import Problem


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", ByteRange(0, 99, 1000)),
        ("bytes=500-", ByteRange(500, 999, 1000)),
        ("bytes=-100", ByteRange(900, 999, 1000)),
        ("bytes=-5000", ByteRange(0, 999, 1000)),
        ("bytes=990-5000", ByteRange(990, 999, 1000)),
        ("bytes=999-999", ByteRange(999, 999, 1000)),
    ],
)
def test_satisfiable_ranges(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header",
    ["bytes=1000-", "bytes=5-4", "bytes=-0", "bytes=-", "bytes=0-1,5-9", "items=0-1", "bytes=a-"],
)
def test_bad_ranges_are_416_naming_the_size(header: str) -> None:
    with pytest.raises(Problem) as caught:
        parse_range(header, 1000)
    assert caught.value.status == 416
    assert caught.value.headers == {"Content-Range": "bytes */1000"}


def test_range_properties() -> None:
    part = ByteRange(10, 19, 100)
    assert (part.length, part.whole, part.content_range) == (10, False, "bytes 10-19/100")
    assert ByteRange(0, 99, 100).whole


def test_if_range_applies_the_range_only_for_the_current_etag() -> None:
    assert if_range_holds(None, '"abc"')
    assert if_range_holds('"abc"', '"abc"')
    assert not if_range_holds('"old"', '"abc"')
