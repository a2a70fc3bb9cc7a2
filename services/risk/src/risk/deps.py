"""Dependencies the risk routes share: who may call."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from risk.settings import Settings
from servicekit.auth import Principal, Role, require_roles

CustomsSystemOnly = Depends(require_roles(Role.CUSTOMS_SYSTEM))
"""Customs data comes only from VNACCS-side systems (machine clients)."""


def source_of(principal: Principal) -> str:
    """Who sent a record: the client id of a machine token, else its subject."""
    return principal.client_id or principal.subject


EpeClientOnly = Depends(require_roles(Role.EPE_CLIENT))
"""Gate events come only from EPE vendor software, for its own EPE."""


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]
