"""Every FastAPI dependency a route of the incidents service takes, in one place: the
session, the caller, the clock, the settings, the calendar, the request context and the
paging parameters (the generic ones come from the kit).
Routes import them from here only, so a route's signature reads the same everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from incidents.context import Context
from incidents.settings import Settings
from servicekit.auth import CurrentPrincipal
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.pagination import cursor_param, limit_param
from servicekit.workdays import WorkingCalendar

__all__ = [
    "CalendarDep",
    "ClockDep",
    "ContextDep",
    "CurrentPrincipal",
    "Cursor",
    "Limit",
    "SessionDep",
    "SettingsDep",
]


def get_calendar(request: Request) -> WorkingCalendar:
    """The app's working-day calendar."""
    calendar: WorkingCalendar = request.app.state.calendar
    return calendar


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


CalendarDep = Annotated[WorkingCalendar, Depends(get_calendar)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_context(calendar: CalendarDep, settings: SettingsDep, clock: ClockDep) -> Context:
    """Calendar, settings and the current time from the app's clock."""
    return Context(calendar=calendar, settings=settings, now=clock.now())


ContextDep = Annotated[Context, Depends(get_context)]
Cursor = Annotated[str | None, cursor_param()]
Limit = Annotated[int, limit_param()]
