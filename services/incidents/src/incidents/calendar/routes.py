"""Working-day answers for integrators: "is D a working day", "N working days after D"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from incidents.calendar.workdays import DayKind
from incidents.deps import CalendarDep
from servicekit.errors import field_error

router = APIRouter(prefix="/calendar", tags=["calendar"])

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2089, 12, 31)
Day = Annotated[dt.date, Path(description="YYYY-MM-DD, between 2000-01-01 and 2089-12-31")]


class DayPublic(BaseModel):
    """Whether a day is a working day in Vietnam, and why."""

    date: dt.date
    working_day: bool
    kind: DayKind
    name: str | None


class WorkingDaysAfter(BaseModel):
    """The day a period of N working days ends when counted from D (D not counted)."""

    date: dt.date
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
    _check_range(day, "path.day")
    info = calendar.day_info(day)
    return DayPublic(date=day, working_day=info.working, kind=info.kind, name=info.name)


@router.get("/working-days-after", response_model=WorkingDaysAfter)
def working_days_after(
    calendar: CalendarDep,
    start: Annotated[dt.date, Query(alias="date", description="D, the day of notification")],
    days: Annotated[int, Query(ge=0, le=1000, description="N working days")],
) -> WorkingDaysAfter:
    """The N-th working day after D, and the instant the period ends (24:00 Asia/Ho_Chi_Minh)."""
    _check_range(start, "query.date")
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
    return WorkingDaysAfter(date=start, days=days, result=result, ends_at=ends_at, skipped=skipped)
