"""Reading a stored customs record: what a warning links to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from risk.customs.models import CustomsRecord
from risk.projection.service import enterprise_by_tax_code
from servicekit.auth import CurrentPrincipal, Role, ensure_epe_access
from servicekit.db import SessionDep
from servicekit.errors import Forbidden, NotFound

router = APIRouter(prefix="/customs/records", tags=["customs data"])


class CustomsRecordPublic(BaseModel):
    """One stored version of a customs record, as received."""

    id: str
    kind: str
    number: str
    version: int
    epe_tax_code: str | None
    epe_id: str | None
    occurred_at: datetime
    data: dict[str, Any]
    source: str
    received_at: datetime
    superseded_by: str | None


@router.get("/{record_id}")
def get_customs_record(
    record_id: str, session: SessionDep, principal: CurrentPrincipal
) -> CustomsRecordPublic:
    """A record a warning compared: for customs systems, and officers of the EPE's unit (any
    officer when the record names no EPE, e.g. a GPS fix)."""
    record = session.get(CustomsRecord, record_id)
    if record is None:
        raise NotFound("customs record")
    enterprise = enterprise_by_tax_code(session, record.epe_tax_code or "")
    if enterprise is not None:
        ensure_epe_access(principal, epe_id=enterprise.epe_id, unit=enterprise.unit)
    elif not (principal.is_officer or principal.has(Role.CUSTOMS_SYSTEM)):
        raise Forbidden("only customs sees records that name no enterprise")
    return CustomsRecordPublic(
        **record.model_dump(exclude={"digest"}),
        epe_id=enterprise.epe_id if enterprise else None,
    )
