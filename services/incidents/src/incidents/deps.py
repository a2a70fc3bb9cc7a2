"""FastAPI dependencies of the incidents service: the lifecycle context and paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from incidents.calendar.workdays import WorkingCalendar
from incidents.clock import Clock
from incidents.incident.service import Context
from incidents.settings import Settings


def get_calendar(request: Request) -> WorkingCalendar:
    """The app's working-day calendar."""
    calendar: WorkingCalendar = request.app.state.calendar
    return calendar


def get_context(request: Request) -> Context:
    """Calendar, settings and the current time from the app's clock."""
    clock: Clock = request.app.state.clock
    settings: Settings = request.app.state.settings
    return Context(calendar=request.app.state.calendar, settings=settings, now=clock.now())


CalendarDep = Annotated[WorkingCalendar, Depends(get_calendar)]
ContextDep = Annotated[Context, Depends(get_context)]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="next_cursor of the previous page"),
]
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]
