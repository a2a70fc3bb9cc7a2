"""The Vietnamese working-day calendar: Tet, announced swaps, Civil Code deadlines, reloads."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from servicekit.workdays import DEFAULT_SWAPS_FILE, DayKind, SwapsFileError, WorkingCalendar


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(DEFAULT_SWAPS_FILE)


def test_tet_2025_days_are_not_working_days(calendar: WorkingCalendar) -> None:
    # Tet At Ty: officials off from Saturday 25 January to Sunday 2 February 2025.
    for day in range(25, 32):
        assert not calendar.is_working_day(date(2025, 1, day)), day
    assert not calendar.is_working_day(date(2025, 2, 1))
    assert not calendar.is_working_day(date(2025, 2, 2))
    assert calendar.is_working_day(date(2025, 1, 24))
    assert calendar.is_working_day(date(2025, 2, 3))
    assert calendar.day_info(date(2025, 1, 29)).kind is DayKind.PUBLIC_HOLIDAY


def test_three_working_days_across_tet(calendar: WorkingCalendar) -> None:
    # Notified Thursday 23 January: counted days are Fri 24 Jan, Mon 3 Feb, Tue 4 Feb.
    assert calendar.add_working_days(date(2025, 1, 23), 3) == date(2025, 2, 4)
    assert calendar.add_working_days(date(2025, 1, 23), 1) == date(2025, 1, 24)


def test_ten_working_days_across_tet_2026(calendar: WorkingCalendar) -> None:
    # Tet Binh Ngo: 16-20 February 2026 off (Monday to Friday).
    assert not calendar.is_working_day(date(2026, 2, 16))
    assert calendar.add_working_days(date(2026, 2, 10), 10) == date(2026, 3, 3)


def test_swapped_saturday_is_a_working_day_and_its_friday_is_not(
    calendar: WorkingCalendar,
) -> None:
    make_up = calendar.day_info(date(2025, 4, 26))
    assert make_up.working and make_up.kind is DayKind.MAKE_UP_WORKING_DAY
    day_off = calendar.day_info(date(2025, 5, 2))
    assert not day_off.working and day_off.kind is DayKind.ANNOUNCED_DAY_OFF
    # Notified Friday 25 April 2025: Sat 26 (make-up), Mon 28, Tue 29, then 30/4, 1/5, 2/5 off.
    assert calendar.add_working_days(date(2025, 4, 25), 3) == date(2025, 4, 29)
    assert calendar.add_working_days(date(2025, 4, 25), 4) == date(2025, 5, 5)


def test_hung_kings_day_and_national_day(calendar: WorkingCalendar) -> None:
    assert calendar.day_info(date(2025, 4, 7)).kind is DayKind.PUBLIC_HOLIDAY  # 10/3 lunar
    assert not calendar.is_working_day(date(2025, 9, 1))
    assert not calendar.is_working_day(date(2025, 9, 2))
    assert calendar.is_working_day(date(2025, 9, 3))


def test_deadline_follows_the_civil_code(calendar: WorkingCalendar) -> None:
    # 23:30 on Thursday 23 Jan 2025 in Vietnam is 16:30 UTC; the notification day is not counted.
    deadline = calendar.deadline(datetime(2025, 1, 23, 16, 30, tzinfo=UTC), 3)
    assert deadline.notified_on == date(2025, 1, 23)
    assert deadline.last_day == date(2025, 2, 4)
    # Ends at 24:00 of Tuesday 4 February in Vietnam = 17:00 UTC that day.
    assert deadline.ends_at == datetime(2025, 2, 4, 17, 0, tzinfo=UTC)
    # One working day left from 24:00 of Monday 3 February.
    assert deadline.approaching_at == datetime(2025, 2, 3, 17, 0, tzinfo=UTC)


def test_local_date_not_utc_date_decides_the_notification_day(calendar: WorkingCalendar) -> None:
    # 18:00 UTC on Thursday is already Friday 01:00 in Vietnam.
    deadline = calendar.deadline(datetime(2025, 1, 23, 18, 0, tzinfo=UTC), 1)
    assert deadline.notified_on == date(2025, 1, 24)
    assert deadline.last_day == date(2025, 2, 3)


def test_notification_on_a_weekend_counts_from_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    deadline = calendar.deadline(datetime(2025, 3, 8, 3, 0, tzinfo=UTC), 3)  # Saturday
    assert deadline.last_day == date(2025, 3, 12)  # Mon 10, Tue 11, Wed 12


def test_swaps_file_is_reloaded_when_it_changes(tmp_path: Path) -> None:
    swaps = tmp_path / "swaps.toml"
    shutil.copy(DEFAULT_SWAPS_FILE, swaps)
    calendar = WorkingCalendar(swaps, check_interval=0)
    day = date(2025, 6, 13)  # an ordinary Friday
    assert calendar.is_working_day(day)
    with swaps.open("a") as handle:
        handle.write(
            '\n[[swap]]\nday_off = 2025-06-13\nworking_day = 2025-06-21\nreason = "test"\n'
        )
    os.utime(swaps, ns=(1, 1_000_000_000_000_000_000))
    assert not calendar.is_working_day(day)
    assert calendar.day_info(date(2025, 6, 21)).kind is DayKind.MAKE_UP_WORKING_DAY


def test_a_broken_edit_keeps_the_previous_swaps(tmp_path: Path) -> None:
    swaps = tmp_path / "swaps.toml"
    shutil.copy(DEFAULT_SWAPS_FILE, swaps)
    calendar = WorkingCalendar(swaps, check_interval=0)
    swaps.write_text("[[swap]]\nday_off = 2025-13-45\n")
    os.utime(swaps, ns=(1, 2_000_000_000_000_000_000))
    assert calendar.day_info(date(2025, 4, 26)).kind is DayKind.MAKE_UP_WORKING_DAY
    assert calendar.last_error is not None


def test_a_day_cannot_be_both_off_and_working(tmp_path: Path) -> None:
    swaps = tmp_path / "swaps.toml"
    swaps.write_text("[[day_off]]\ndate = 2025-06-13\n[[working_day]]\ndate = 2025-06-13\n")
    with pytest.raises(SwapsFileError):
        WorkingCalendar(swaps)


def test_day_endpoint(client, registry, officer_headers) -> None:
    response = client.get("/calendar/days/2025-04-26", headers=officer_headers)
    assert response.status_code == 200
    assert response.json()["working_day"] is True
    assert response.json()["kind"] == "make_up_working_day"
    tet = client.get("/calendar/days/2025-01-29", headers=officer_headers).json()
    assert tet["working_day"] is False and tet["kind"] == "public_holiday"


def test_working_days_after_endpoint(client, registry, epe_headers) -> None:
    response = client.get(
        "/calendar/working-days-after",
        params={"date": "2025-01-23", "days": 3},
        headers=epe_headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "2025-02-04"
    assert body["ends_at"] == "2025-02-05T00:00:00+07:00"
    skipped = {d["date"] for d in body["skipped"]}
    assert "2025-01-29" in skipped and "2025-01-25" in skipped


@pytest.mark.parametrize(
    ("given", "local_day", "result"),
    [
        ("2025-02-12T23:30:00+07:00", "2025-02-12", "2025-02-13"),
        # 00:30 ICT on the 13th is still the 12th in UTC; the legal day is the local one
        ("2025-02-13T00:30:00+07:00", "2025-02-13", "2025-02-14"),
        ("2025-02-12T17:30:00Z", "2025-02-13", "2025-02-14"),
        ("2025-02-12", "2025-02-12", "2025-02-13"),
    ],
)
def test_working_days_after_an_instant_count_from_its_local_day(
    client, registry, epe_headers, given, local_day, result
) -> None:
    response = client.get(
        "/calendar/working-days-after", params={"date": given, "days": 1}, headers=epe_headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == local_day
    assert body["result"] == result
    if "T" in given:
        assert body["instant"] is not None
    else:
        assert body["instant"] is None


@pytest.mark.parametrize(
    ("given", "local_day", "kind"),
    [
        ("2025-04-25T23:30:00+07:00", "2025-04-25", "working_day"),
        ("2025-04-25T17:30:00Z", "2025-04-26", "make_up_working_day"),
    ],
)
def test_day_endpoint_takes_an_instant(
    client, registry, epe_headers, given, local_day, kind
) -> None:
    response = client.get(f"/calendar/days/{given}", headers=epe_headers)
    assert response.status_code == 200, response.text
    assert response.json()["date"] == local_day
    assert response.json()["kind"] == kind


@pytest.mark.parametrize(
    "bad",
    [
        "2025-02-12T23:30:00",
        "1700000000",
        "2025-02-12T25:00:00Z",
        "12/02/2025",
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "2095-01-01T00:00:00Z",
    ],
)
def test_a_day_without_offset_or_in_another_shape_names_the_field(
    client, registry, epe_headers, bad
) -> None:
    response = client.get(
        "/calendar/working-days-after", params={"date": bad, "days": 1}, headers=epe_headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.date"


def test_calendar_endpoints_validate_input(client, registry, epe_headers) -> None:
    bad = client.get("/calendar/days/2025-02-30", headers=epe_headers)
    assert bad.status_code == 422
    far = client.get("/calendar/days/1850-01-01", headers=epe_headers)
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "path.day"
    negative = client.get(
        "/calendar/working-days-after",
        params={"date": "2025-01-23", "days": -1},
        headers=epe_headers,
    )
    assert negative.status_code == 422
    assert client.get("/calendar/days/2025-01-29").status_code == 401
