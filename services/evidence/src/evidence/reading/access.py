"""Who may read sealed evidence: officers assigned to the EPE, their unit's head and auditors.

The EPE's vendor sees its own requests and uploads but cannot read a package back once it is
sealed, and customs systems have no business with footage: the routers refuse both by role
(403). An officer who may not read a package is told it does not exist (404), as requests do.
"""

from __future__ import annotations

from sqlmodel import Session

from evidence.packages.models import Package
from evidence.packages.service import get_visible_package
from evidence.projection.service import assigned_epes, unit_of
from servicekit.auth import Principal, Role
from servicekit.errors import Forbidden

READERS = (Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT, Role.AUDITOR)
"""Roles that may read sealed evidence (each still limited to its EPEs / unit)."""
SHARERS = (Role.SUPERVISORY_OFFICER, Role.HEAD_OF_SUBDEPARTMENT)
"""Roles that may hand evidence to another authority (auditors only read)."""


def ensure_may_share(session: Session, principal: Principal, epe_id: str) -> None:
    """Sharing and revoking: the unit's head or an officer assigned to the EPE (403 otherwise,
    for a caller who may read the package)."""
    unit = unit_of(session, epe_id)
    if principal.has(Role.HEAD_OF_SUBDEPARTMENT) and unit is not None and principal.unit == unit:
        return
    if principal.has(Role.SUPERVISORY_OFFICER) and epe_id in assigned_epes(
        session, officer=principal.subject, unit=principal.unit
    ):
        return
    raise Forbidden("only officers assigned to this enterprise or their head share its evidence")


def readable_package(session: Session, principal: Principal, package_id: str) -> Package:
    """A sealed package the caller may read, or 404 (the packages domain's one rule)."""
    return get_visible_package(session, principal, package_id)
