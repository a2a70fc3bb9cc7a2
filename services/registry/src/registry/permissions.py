"""Who may do what in the registry; every route calls one of these before touching data.

- EPE clients (role `epe_client`) act only on the EPE named by their token's `epe_id`.
- Officers read the EPEs of their own unit; customs systems read every EPE.
- Writes to an EPE's system (areas, cameras, heartbeats, maintenance, logbook, diagrams,
  declarations) are the EPE client's, for its own EPE, or a customs system's.
- Registration: a customs system, a head or supervisory officer of the EPE's unit, or an EPE
  client registering its own `epe_id`.
- Conformity is confirmed or rejected by the unit's head or an officer of the unit assigned to
  the EPE (see `conformity.service.ensure_may_review`).
"""

from __future__ import annotations

from sqlmodel import Session

from registry.epes.models import Epe
from servicekit.auth import Principal, Role, ensure_epe_access
from servicekit.errors import Forbidden, NotFound

UNIT_STAFF = (Role.HEAD_OF_SUBDEPARTMENT, Role.SUPERVISORY_OFFICER)


def load_epe(session: Session, epe_id: str) -> Epe:
    """The EPE or a 404."""
    epe = session.get(Epe, epe_id)
    if epe is None:
        raise NotFound("EPE")
    return epe


def _refuse_other_epe(principal: Principal, epe_id: str) -> None:
    # Checked before the lookup so an EPE client cannot probe which ids exist.
    if principal.is_epe and principal.epe_id != epe_id:
        raise Forbidden("an EPE client may act only on its own enterprise")


def readable_epe(session: Session, principal: Principal, epe_id: str) -> Epe:
    """The EPE if the caller may read it (own EPE, own unit, or a customs system)."""
    _refuse_other_epe(principal, epe_id)
    epe = load_epe(session, epe_id)
    ensure_epe_access(principal, epe_id=epe.id, unit=epe.unit)
    return epe


def managed_epe(session: Session, principal: Principal, epe_id: str) -> Epe:
    """The EPE if the caller manages its camera system: the EPE itself or a customs system."""
    _refuse_other_epe(principal, epe_id)
    if not (principal.is_epe or principal.has(Role.CUSTOMS_SYSTEM)):
        raise Forbidden("only the EPE's own client (or a customs system) manages its system")
    return load_epe(session, epe_id)


def own_epe(session: Session, principal: Principal, epe_id: str) -> Epe:
    """The EPE if the caller is that EPE's client (statements only the EPE itself makes)."""
    _refuse_other_epe(principal, epe_id)
    if not principal.is_epe:
        raise Forbidden("only the EPE's own client may do this")
    return load_epe(session, epe_id)


def is_unit_staff(principal: Principal, unit: str) -> bool:
    """A head or supervisory officer of `unit`."""
    return principal.has(*UNIT_STAFF) and principal.unit == unit
