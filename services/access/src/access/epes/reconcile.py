"""What follows when the registry places an EPE under a unit the access service did not have.

Whenever an event about an EPE is applied (see `handlers.py`), everything the access service
derived from an older idea of the EPE's unit is brought in line with the registry:

* assignments held in another unit end (`access.assignment.changed.v1`, change `ended`), so
  officers of the old unit lose the EPE and cannot reveal its camera accounts any more;
* the EPE's vault entries move to the registry's unit (their visibility and the head's reveal
  follow the unit);
* the vendor-client binding (`epe_bindings`) takes the registry's unit;
* EPE vendor clients still bound to another unit are *mismatched*: their unexpired access
  tokens are revoked here, the token endpoint refuses them (`unauthorized_client`) and
  `GET /clients` shows `registry_unit` and `unit_mismatch` until a user administrator gives
  the EPE a client bound to the right unit.

Anything that changed is one audit record `epe.supervision_changed` by `service:registry`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from access.assignments import service as assignments
from access.audit import service as audit
from access.clients.models import ClientKind, EpeBinding, OAuthClient
from access.context import AuditContext
from access.oauth import tokens as token_store
from access.vault.models import VaultEntry

REGISTRY_ACTOR = "service:registry"
"""Who changes assignments and bindings on the registry's word (audit actor, `changed_by`)."""


def mismatched_clients(session: Session, *, epe_id: str, unit: str) -> list[OAuthClient]:
    """The EPE's vendor clients bound to a unit other than `unit` (active or not)."""
    return list(
        session.exec(
            select(OAuthClient)
            .where(OAuthClient.epe_id == epe_id)
            .where(OAuthClient.kind == ClientKind.EPE_VENDOR)
            .where(OAuthClient.unit != unit)
            .order_by(col(OAuthClient.client_id))
        ).all()
    )


def follow_registry(
    session: Session,
    *,
    epe_id: str,
    unit: str,
    previous_unit: str | None,
    context: AuditContext,
    now: datetime,
    event_id: str,
    event_type: str,
) -> bool:
    """Align assignments, vault entries, the binding and vendor clients with the registry's
    unit for the EPE. Returns whether anything changed (then it is audited)."""
    ended = assignments.end_assignments_outside(
        session, epe_id=epe_id, unit=unit, by=REGISTRY_ACTOR, context=context, now=now
    )
    moved_entries = []
    for entry in session.exec(
        select(VaultEntry).where(VaultEntry.epe_id == epe_id).where(VaultEntry.unit != unit)
    ).all():
        entry.unit = unit
        session.add(entry)
        moved_entries.append(entry.id)
    binding = session.get(EpeBinding, epe_id)
    rebound_from = None
    if binding is not None and binding.unit != unit:
        rebound_from = binding.unit
        binding.unit = unit
        session.add(binding)
    mismatched = mismatched_clients(session, epe_id=epe_id, unit=unit)
    for client in mismatched:
        if client.active:
            token_store.revoke_client_tokens(session, client_id=client.client_id, now=now)
    moved = previous_unit is not None and previous_unit != unit
    if not (moved or ended or moved_entries or rebound_from or mismatched):
        return False
    audit.record(
        session,
        context=context,
        action="epe.supervision_changed",
        target=f"epe:{epe_id}",
        occurred_at=now,
        details={
            "unit": unit,
            "previous_unit": previous_unit,
            "assignments_ended": [a.id for a in ended],
            "vault_entries_moved": moved_entries,
            "binding_previous_unit": rebound_from,
            "mismatched_clients": [c.client_id for c in mismatched],
            "event_id": event_id,
            "event_type": event_type,
        },
    )
    return True
