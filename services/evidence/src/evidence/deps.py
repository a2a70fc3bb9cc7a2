"""Dependencies the evidence routes share: settings and the working-day calendar."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from evidence.settings import Settings
from servicekit.workdays import WorkingCalendar


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_calendar(request: Request) -> WorkingCalendar:
    """The app's working-day calendar (due dates)."""
    calendar: WorkingCalendar = request.app.state.calendar
    return calendar


SettingsDep = Annotated[Settings, Depends(get_settings)]
CalendarDep = Annotated[WorkingCalendar, Depends(get_calendar)]


def get_source(request: Request) -> str | None:
    """The client's address: the gateway's X-Forwarded-For, believed by uvicorn's proxy
    headers (`forwarded_allow_ips`), else the TCP peer."""
    return request.client.host if request.client else None


SourceDep = Annotated[str | None, Depends(get_source)]
