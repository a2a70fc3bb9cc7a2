"""The registry's route dependencies, in one place: every route module takes them from here.

Routes declare what they need by type (``session: SessionDep``, ``clock: ClockDep``...);
tests swap any of them through ``app.dependency_overrides`` on the getter.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from registry.settings import Settings
from servicekit.auth import CurrentPrincipal
from servicekit.clock import ClockDep
from servicekit.db import SessionDep
from servicekit.pagination import cursor_param, limit_param

__all__ = [
    "ClockDep",
    "CurrentPrincipal",
    "Cursor",
    "Limit500",
    "Limit1000",
    "SessionDep",
    "SettingsDep",
    "get_settings",
]


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
Cursor = Annotated[str | None, cursor_param(described=False)]
"""``?cursor=``: the ``next_cursor`` of the previous page."""
Limit500 = Annotated[int, limit_param(500, described=False)]
"""``?limit=`` up to 500 rows (each list sets its own default)."""
Limit1000 = Annotated[int, limit_param(1000, described=False)]
"""``?limit=`` up to 1000 rows, for lists of small rows (cameras, health states, outages)."""
