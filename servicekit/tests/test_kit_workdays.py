"""The kit's working-day calendar on its own (incidents' tests cover it with the swaps file)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from servicekit.workdays import DayKind, SwapsFileError, WorkingCalendar


def test_labour_code_holidays_and_weekends_without_a_swaps_file() -> None:
    calendar = WorkingCalendar()
    assert calendar.day_info(date(2025, 1, 29)).kind == DayKind.PUBLIC_HOLIDAY  # Tet
    assert calendar.day_info(date(2025, 1, 25)).kind == DayKind.WEEKEND
    assert calendar.is_working_day(date(2025, 1, 24))


def test_a_deadline_ends_at_local_midnight_in_utc() -> None:
    deadline = WorkingCalendar().deadline(datetime(2025, 1, 20, 2, 0, tzinfo=UTC), 4)
    assert deadline.last_day == date(2025, 1, 24)
    assert deadline.ends_at == datetime(2025, 1, 24, 17, 0, tzinfo=UTC)
    assert deadline.approaching_at == datetime(2025, 1, 23, 17, 0, tzinfo=UTC)


def test_an_announced_day_off_is_not_a_working_day(tmp_path: Path) -> None:
    swaps = tmp_path / "swaps.toml"
    swaps.write_text('[[day_off]]\ndate = 2025-06-13\nreason = "announced"\n')
    assert WorkingCalendar(swaps).day_info(date(2025, 6, 13)).kind == DayKind.ANNOUNCED_DAY_OFF
    swaps.write_text("[[day_off]]\ndate = 2025-06-13\n[[working_day]]\ndate = 2025-06-13\n")
    with pytest.raises(SwapsFileError):
        WorkingCalendar(swaps)
