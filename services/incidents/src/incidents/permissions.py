"""Who may see and do what with incidents (one place, so routes only name the rule)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends
from sqlalchemy import ColumnElement, false, true
from sqlmodel import Session, col

from incidents.incident.models import Incident
from incidents.projection.models import Enterprise
from servicekit.auth import Principal, Role, require_roles
from servicekit.errors import Forbidden, NotFound

READERS = (
    Role.SUPERVISORY_OFFICER,
    Role.HEAD_OF_SUBDEPARTMENT,
    Role.AUDITOR,
    Role.EPE_CLIENT,
    Role.CUSTOMS_SYSTEM,
)
"""Roles that may read incidents (each within its scope)."""

FOLLOWERS = (Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT)
"""Officers who follow repairs, record plans and follow-ups, and close incidents."""

CanRead = Depends(require_roles(*READERS))
EpeOnly = Depends(require_roles(Role.EPE_CLIENT))
FollowerOnly = Depends(require_roles(*FOLLOWERS))
HeadOnly = Depends(require_roles(Role.HEAD_OF_SUBDEPARTMENT))


@dataclass(frozen=True)
class Actor:
    """Who did something, as written on the timeline."""

    subject: str
    kind: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The actor of a principal: an EPE client, an officer or a customs system."""
        if principal.is_epe:
            return cls(principal.subject, "epe")
        if principal.has(Role.CUSTOMS_SYSTEM):
            return cls(principal.subject, "customs_system")
        return cls(principal.subject, "officer")


SYSTEM = Actor("incidents", "system")


def may_see(principal: Principal, *, epe_id: str, unit: str | None) -> bool:
    """An EPE sees only itself; an officer EPEs of their unit; customs systems all."""
    if principal.is_epe:
        return principal.epe_id == epe_id
    if principal.has(Role.CUSTOMS_SYSTEM):
        return True
    if principal.has(*READERS):
        return unit is not None and principal.unit == unit
    return False


def ensure_visible(principal: Principal, *, epe_id: str, unit: str | None, what: str) -> None:
    """404 (not 403) for something outside the caller's scope: they may not know it exists."""
    if not may_see(principal, epe_id=epe_id, unit=unit):
        raise NotFound(what)


def ensure_epe_visible(session: Session, principal: Principal, *, epe_id: str, what: str) -> None:
    """ensure_visible for something of an EPE, its unit read from the registry projection."""
    enterprise = session.get(Enterprise, epe_id)
    ensure_visible(
        principal, epe_id=epe_id, unit=enterprise.unit if enterprise else None, what=what
    )


def ensure_own_epe(principal: Principal, epe_id: str) -> None:
    """An EPE client acts only for its own enterprise."""
    if not principal.is_epe or principal.epe_id != epe_id:
        raise Forbidden("an EPE client may act only for its own enterprise")


def visibility_clause(principal: Principal) -> ColumnElement[bool]:
    """SQL condition on Incident (joined with Enterprise) limiting a list to the caller's scope."""
    if principal.is_epe:
        return col(Incident.epe_id) == principal.epe_id if principal.epe_id else false()
    if principal.has(Role.CUSTOMS_SYSTEM):
        return true()
    if principal.has(*READERS) and principal.unit:
        return col(Enterprise.unit) == principal.unit
    return false()
