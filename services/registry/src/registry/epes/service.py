"""Registering and changing EPEs; the exemption category is recomputed on every change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, select
from sqlmodel import Session, col

from registry.coverage.models import CoverageGap
from registry.epes.events import EpeRegistered, EpeUpdated
from registry.epes.exemption import ExemptionCategory, compute_exemption
from registry.epes.models import (
    Contact,
    ContactPublic,
    Epe,
    EpeCreate,
    EpePublic,
    EpeStatus,
    EpeUpdate,
    ExemptionPublic,
)
from registry.permissions import is_unit_staff
from servicekit.auth import Principal, Role
from servicekit.clock import utc_now
from servicekit.errors import Conflict, Forbidden, field_error
from servicekit.events import add_event
from servicekit.ids import new_id

EPE_CLIENT_FIELDS = frozenset({"name", "address", "contacts"})
CUSTOMS_ONLY_FIELDS = frozenset({"unit"})


def _apply_exemption(epe: Epe) -> None:
    exemption = compute_exemption(
        certificate_date=epe.investment_certificate_date,
        cameras_operating_at_effective_date=epe.cameras_operating_at_effective_date,
    )
    epe.exemption_category = exemption.category.value
    epe.exemption_reason = exemption.reason


def _facts(epe: Epe) -> dict[str, Any]:
    return {
        "epe_id": epe.id,
        "name": epe.name,
        "address": epe.address,
        "tax_code": epe.tax_code,
        "unit": epe.unit,
        "status": epe.status,
        "exemption_category": epe.exemption_category,
        "exempt": epe.exemption_category == ExemptionCategory.EXEMPT,
        "exemption_reason": epe.exemption_reason,
        "occurred_at": epe.updated_at,
    }


def _ensure_tax_code_free(session: Session, tax_code: str, *, except_id: str | None) -> None:
    query = select(col(Epe.id)).where(col(Epe.tax_code) == tax_code)
    if except_id is not None:
        query = query.where(col(Epe.id) != except_id)
    if session.execute(query).first() is not None:
        raise Conflict("an EPE with this tax code is already registered", field="body.tax_code")


def registration_id(principal: Principal, data: EpeCreate) -> str:
    """The id the new EPE gets, after checking the caller may register it (see docs)."""
    if principal.has(Role.CUSTOMS_SYSTEM):
        return data.id or new_id()
    if principal.is_epe:
        if principal.epe_id is None:
            raise Forbidden("this EPE client's token names no EPE")
        if data.id is not None and data.id != principal.epe_id:
            raise Forbidden("an EPE client registers only its own epe_id")
        if principal.unit is not None and data.unit != principal.unit:
            # The access service binds each EPE client to its supervising unit.
            raise field_error("body.unit", "not the customs unit this EPE client is bound to")
        return principal.epe_id
    if is_unit_staff(principal, data.unit):
        return data.id or new_id()
    raise Forbidden(
        "an EPE is registered by a customs system, a head or supervisory officer of its unit, "
        "or its own EPE client"
    )


def register_epe(session: Session, *, principal: Principal, data: EpeCreate) -> Epe:
    """Create an EPE and record `registry.epe.registered.v1`."""
    epe_id = registration_id(principal, data)
    if session.get(Epe, epe_id) is not None:
        raise Conflict("this EPE is already registered", field="body.id")
    _ensure_tax_code_free(session, data.tax_code, except_id=None)
    now = utc_now()
    epe = Epe(
        id=epe_id,
        name=data.name,
        address=data.address,
        tax_code=data.tax_code,
        unit=data.unit,
        contacts=[c.model_dump(mode="json") for c in data.contacts],
        investment_certificate_date=data.investment_certificate_date,
        cameras_operating_at_effective_date=data.cameras_operating_at_effective_date,
        exemption_category="",
        exemption_reason="",
        status=EpeStatus.ACTIVE,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    _apply_exemption(epe)
    session.add(epe)
    session.flush()
    add_event(session, EpeRegistered(**_facts(epe)), subject=epe.id)
    return epe


def allowed_update_fields(principal: Principal, epe: Epe) -> frozenset[str] | None:
    """Fields the caller may change (None: all of them)."""
    if principal.has(Role.CUSTOMS_SYSTEM):
        return None
    if principal.is_epe and principal.epe_id == epe.id:
        return EPE_CLIENT_FIELDS
    if is_unit_staff(principal, epe.unit):
        return frozenset(EpeUpdate.model_fields) - CUSTOMS_ONLY_FIELDS
    raise Forbidden("the caller may not change this EPE")


def update_epe(session: Session, *, principal: Principal, epe: Epe, data: EpeUpdate) -> Epe:
    """Apply a partial update and record `registry.epe.updated.v1` when anything changed."""
    changes = data.model_dump(exclude_unset=True)
    allowed = allowed_update_fields(principal, epe)
    for name in changes:
        if allowed is not None and name not in allowed:
            raise Forbidden(f"the caller may not change `{name}` of this EPE")
        if changes[name] is None:
            raise field_error(f"body.{name}", "may not be null")
    if "tax_code" in changes and changes["tax_code"] != epe.tax_code:
        _ensure_tax_code_free(session, changes["tax_code"], except_id=epe.id)
    changed: list[str] = []
    for name, value in changes.items():
        if name == "contacts":
            value = [Contact.model_validate(c).model_dump(mode="json") for c in value]
        if getattr(epe, name) != value:
            setattr(epe, name, value)
            changed.append(name)
    if not changed:
        return epe
    before = epe.exemption_category, epe.exemption_reason
    _apply_exemption(epe)
    if (epe.exemption_category, epe.exemption_reason) != before:
        changed.append("exemption")
    epe.updated_at = utc_now()
    session.add(epe)
    session.flush()
    add_event(session, EpeUpdated(**_facts(epe), changed_fields=sorted(changed)), subject=epe.id)
    return epe


def open_gap_counts(session: Session, epe_ids: Sequence[str]) -> dict[str, int]:
    """Open coverage gaps per EPE."""
    if not epe_ids:
        return {}
    rows = session.execute(
        select(col(CoverageGap.epe_id), func.count())
        .where(col(CoverageGap.epe_id).in_(epe_ids), col(CoverageGap.closed_at).is_(None))
        .group_by(col(CoverageGap.epe_id))
    ).all()
    return {epe_id: count for epe_id, count in rows}


def to_public(epe: Epe, open_gaps: int) -> EpePublic:
    """The API view of an EPE."""
    return EpePublic(
        id=epe.id,
        name=epe.name,
        address=epe.address,
        tax_code=epe.tax_code,
        unit=epe.unit,
        status=EpeStatus(epe.status),
        contacts=[ContactPublic.model_validate(c) for c in epe.contacts],
        investment_certificate_date=epe.investment_certificate_date,
        cameras_operating_at_effective_date=epe.cameras_operating_at_effective_date,
        exemption=ExemptionPublic(
            category=ExemptionCategory(epe.exemption_category),
            exempt=epe.exemption_category == ExemptionCategory.EXEMPT,
            reason=epe.exemption_reason,
        ),
        open_coverage_gaps=open_gaps,
        created_at=epe.created_at,
        updated_at=epe.updated_at,
    )


def list_epes(
    session: Session,
    *,
    principal: Principal,
    unit: str | None,
    status: EpeStatus | None,
    exempt: bool | None,
    has_coverage_gaps: bool | None,
    after: str | None,
    limit: int,
) -> list[Epe]:
    """EPEs the caller may see, filtered, in id order after the cursor (limit + 1 rows)."""
    query = select(Epe)
    if principal.is_epe:
        query = query.where(col(Epe.id) == (principal.epe_id or ""))
    elif principal.has(Role.CUSTOMS_SYSTEM):
        pass
    elif principal.is_officer or principal.has(Role.IT_OPERATOR):
        query = query.where(col(Epe.unit) == (principal.unit or ""))
    else:
        raise Forbidden("the caller has no role that may list EPEs")
    if unit is not None:
        query = query.where(col(Epe.unit) == unit)
    if status is not None:
        query = query.where(col(Epe.status) == status.value)
    if exempt is not None:
        category = ExemptionCategory.EXEMPT if exempt else ExemptionCategory.MUST_CONFORM
        query = query.where(col(Epe.exemption_category) == category.value)
    if has_coverage_gaps is not None:
        open_gap = exists().where(
            col(CoverageGap.epe_id) == col(Epe.id),
            col(CoverageGap.closed_at).is_(None),
        )
        query = query.where(open_gap if has_coverage_gaps else ~open_gap)
    if after is not None:
        query = query.where(col(Epe.id) > after)
    query = query.order_by(col(Epe.id)).limit(limit + 1)
    return list(session.execute(query).scalars())
