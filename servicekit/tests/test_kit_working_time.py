"""Working time: office hours of working days, local time (II.1.c)."""

from datetime import UTC, datetime

from servicekit.workdays import WorkingCalendar


def test_office_hours_of_a_working_day_are_working_time():
    calendar = WorkingCalendar()
    # Tuesday 2026-12-01 09:00 and 16:59 local (UTC+7)
    assert calendar.is_working_time(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert calendar.is_working_time(datetime(2026, 12, 1, 9, 59, tzinfo=UTC))


def test_evenings_weekends_and_holidays_are_not():
    calendar = WorkingCalendar()
    assert not calendar.is_working_time(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))  # 17:00
    assert not calendar.is_working_time(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # 07:00
    assert not calendar.is_working_time(datetime(2026, 12, 5, 3, 0, tzinfo=UTC))  # Saturday
    assert not calendar.is_working_time(datetime(2026, 9, 2, 3, 0, tzinfo=UTC))  # National Day
