"""Working-day answers for integrators: "is D a working day", "N working days after D"."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from incidents.deps import CalendarDep
from servicekit.errors import field_error
from servicekit.workdays import DayKind, WorkingCalendar

router = APIRouter(prefix="/calendar", tags=["calendar"])

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2089, 12, 31)
DAY_OR_INSTANT = (
    "A date (YYYY-MM-DD) or an RFC 3339 instant with its offset (2025-02-12T23:30:00+07:00); "
    "an instant counts as its local day in Asia/Ho_Chi_Minh. Between 2000-01-01 and 2089-12-31."
)
Day = Annotated[str, Path(description=DAY_OR_INSTANT, max_length=40)]
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RFC3339 = re.compile(
    _DATE.pattern
    + r"[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _local_day(
    value: str, field: str, calendar: WorkingCalendar
) -> tuple[dt.date, dt.datetime | None]:
    """The legal day of `value` (the local day of an instant) and the instant in UTC, if one."""
    try:
        if _DATE.fullmatch(value):
            day, instant = dt.date.fromisoformat(value), None
        elif _RFC3339.fullmatch(value):
            # fromisoformat takes at most 6 fractional digits; RFC 3339 allows any number
            text = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", value.upper().replace(" ", "T"))
            instant = dt.datetime.fromisoformat(text).astimezone(dt.UTC)
            day = calendar.local_date(instant)
        else:
            raise ValueError
    except (ValueError, OverflowError):  # OverflowError: an instant beyond year 1 or 9999 in UTC
        raise field_error(field, DAY_OR_INSTANT) from None
    _check_range(day, field)
    return day, instant


class DayPublic(BaseModel):
    """Whether a day is a working day in Vietnam, and why."""

    date: dt.date
    working_day: bool
    kind: DayKind
    name: str | None


class WorkingDaysAfter(BaseModel):
    """The day a period of N working days ends when counted from D (D not counted)."""

    date: dt.date
    """D: the local day in Asia/Ho_Chi_Minh counted from (the instant's, when one was sent)."""
    instant: dt.datetime | None
    """The instant sent, in UTC; null when a date was sent."""
    days: int
    result: dt.date
    ends_at: dt.datetime
    """24:00 local time of the result day (Civil Code: a period ends with its last day)."""
    skipped: list[DayPublic]
    """Days between D and the result that were not counted."""


def _check_range(value: dt.date, field: str) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise field_error(field, "must be between 2000-01-01 and 2089-12-31")


@router.get("/days/{day}", response_model=DayPublic)
def get_day(day: Day, calendar: CalendarDep) -> DayPublic:
    """Is this a working day? Weekends, Labour Code holidays and announced swaps considered."""
    local, _ = _local_day(day, "path.day", calendar)
    info = calendar.day_info(local)
    return DayPublic(date=local, working_day=info.working, kind=info.kind, name=info.name)


@router.get("/working-days-after", response_model=WorkingDaysAfter)
def working_days_after(
    calendar: CalendarDep,
    given: Annotated[
        str,
        Query(
            alias="date", max_length=40, description="D, the day of notification. " + DAY_OR_INSTANT
        ),
    ],
    days: Annotated[int, Query(ge=0, le=1000, description="N working days")],
) -> WorkingDaysAfter:
    """The N-th working day after D, and the instant the period ends (24:00 Asia/Ho_Chi_Minh)."""
    start, instant = _local_day(given, "query.date", calendar)
    result = calendar.add_working_days(start, days)
    _check_range(result, "query.days")
    skipped: list[DayPublic] = []
    current = start
    while current < result:
        current = dt.date.fromordinal(current.toordinal() + 1)
        info = calendar.day_info(current)
        if not info.working:
            skipped.append(
                DayPublic(date=current, working_day=False, kind=info.kind, name=info.name)
            )
    ends_at = calendar.end_of_day(result).astimezone(calendar.tz)
    return WorkingDaysAfter(
        date=start, instant=instant, days=days, result=result, ends_at=ends_at, skipped=skipped
    )
