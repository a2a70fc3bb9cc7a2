"""Which customs unit supervises an EPE: the registry's word, else a vendor client's binding.

The registry owns EPEs and publishes `registry.epe.registered.v1` / `registry.epe.updated.v1`;
the access service keeps `registry_epes` from them and never calls the registry. Until the
registry's event about an EPE has arrived, the unit its EPE vendor client was bound to stands in
(that is what lets `seed-demo` assign an officer before the registry has seeded anything).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from access.clients.models import EpeBinding
from access.epes.models import RegistryEpe, Supervision


def registry_unit(session: Session, epe_id: str) -> str | None:
    """The unit the registry gives the EPE, or None while the registry has said nothing."""
    row = session.get(RegistryEpe, epe_id)
    return row.unit if row is not None else None


def supervision(session: Session, epe_id: str) -> Supervision | None:
    """Who supervises the EPE: the registry's projection first, then a vendor-client binding."""
    row = session.get(RegistryEpe, epe_id)
    if row is not None:
        return Supervision(epe_id=epe_id, unit=row.unit, source="registry", status=row.status)
    binding = session.get(EpeBinding, epe_id)
    if binding is not None:
        return Supervision(epe_id=epe_id, unit=binding.unit, source="vendor_client")
    return None


def apply_registry_epe(
    session: Session,
    *,
    epe_id: str,
    unit: str,
    name: str | None,
    status: str | None,
    at: datetime,
    event_id: str,
) -> tuple[bool, str | None]:
    """Upsert the EPE unless a later event was already applied (events may arrive out of order;
    at the same instant the one delivered last wins). Returns (applied, the unit known before:
    the previous registry unit, else the vendor-client binding's)."""
    row = session.get(RegistryEpe, epe_id)
    if row is None:
        binding = session.get(EpeBinding, epe_id)
        previous = binding.unit if binding is not None else None
        session.add(
            RegistryEpe(
                epe_id=epe_id,
                unit=unit,
                name=name or "",
                status=status or "",
                event_time=at,
                event_id=event_id,
            )
        )
        session.flush()
        return True, previous
    if at < row.event_time:
        return False, row.unit
    previous = row.unit
    row.unit = unit
    row.name = row.name if name is None else name
    row.status = row.status if status is None else status
    row.event_time = at
    row.event_id = event_id
    session.add(row)
    session.flush()
    return True, previous
