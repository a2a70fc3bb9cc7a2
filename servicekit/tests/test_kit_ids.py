"""Row ids are canonical UUIDv7 strings that sort by creation time."""

import time
import uuid

from servicekit.ids import new_id


def test_an_id_is_a_canonical_version_7_uuid() -> None:
    value = new_id()
    parsed = uuid.UUID(value)
    assert str(parsed) == value
    assert parsed.version == 7


def test_later_ids_sort_after_earlier_ones() -> None:
    first = [new_id() for _ in range(50)]
    time.sleep(0.002)
    later = new_id()
    assert all(earlier < later for earlier in first)
    assert len(set(first)) == len(first)
