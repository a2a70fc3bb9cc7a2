"""Who may call what: role sets named once and used by every route."""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from servicekit.auth import Principal, Role, require_roles
from servicekit.errors import Forbidden

USER_ADMINS = (Role.USER_ADMINISTRATOR,)
HEADS = (Role.HEAD_OF_SUBDEPARTMENT,)
AUDITORS = (Role.AUDITOR,)
IT_OPERATORS = (Role.IT_OPERATOR,)
EPE_CLIENTS = (Role.EPE_CLIENT,)
OFFICERS = (
    Role.SUPERVISORY_OFFICER,
    Role.HEAD_OF_SUBDEPARTMENT,
    Role.USER_ADMINISTRATOR,
    Role.IT_OPERATOR,
    Role.AUDITOR,
)
"""Every role a person can hold."""

READ_USERS = (Role.USER_ADMINISTRATOR, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR)
READ_AUTHORITY = (Role.USER_ADMINISTRATOR, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR)
READ_ASSIGNMENTS = (Role.HEAD_OF_SUBDEPARTMENT, Role.USER_ADMINISTRATOR, Role.AUDITOR)
READ_VAULT_METADATA = (
    Role.EPE_CLIENT,
    Role.SUPERVISORY_OFFICER,
    Role.HEAD_OF_SUBDEPARTMENT,
    Role.AUDITOR,
)
CORRECT_AUDIT = (Role.AUDITOR, Role.USER_ADMINISTRATOR)
VERIFY_AUDIT = (Role.AUDITOR, Role.IT_OPERATOR)
MANAGE_CLIENTS = (Role.USER_ADMINISTRATOR,)
MANAGE_KEYS = (Role.IT_OPERATOR,)
LOG_DIGESTS = (Role.IT_OPERATOR, Role.AUDITOR)
READ_CORRECTIONS = (Role.IT_OPERATOR, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR)


def requires(*roles: str) -> Any:
    """A route dependency: the caller holds one of the roles."""
    return Depends(require_roles(*roles))


def is_person(principal: Principal) -> bool:
    """Whether the token was issued to a person (an officer), not to a machine client."""
    if principal.is_epe or principal.has(Role.CUSTOMS_SYSTEM):
        return False
    return principal.subject != principal.client_id


def ensure_person(principal: Principal) -> None:
    """Refuse machine clients on routes meant for signed-in officers."""
    if not is_person(principal):
        raise Forbidden("this action is for signed-in officers, not machine clients")


def ensure_own_unit(principal: Principal, unit: str | None) -> None:
    """A user administrator acts only in their own unit (seed 2 section 4: each unit's
    administrator prepares its users' authority)."""
    if unit is not None and unit != principal.unit:
        raise Forbidden(f"a user administrator acts only in their own unit ({principal.unit})")


def unit_scope(principal: Principal, unit: str | None) -> str | None:
    """The unit a listing is limited to: administrators and auditors see every unit (or the one
    asked for), heads only their own."""
    if principal.has(Role.USER_ADMINISTRATOR, Role.AUDITOR):
        return unit
    if unit is not None and unit != principal.unit:
        raise Forbidden("heads of sub-department see their own unit only")
    return principal.unit
