"""EPE tables and API schemas."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from registry.epes.exemption import ExemptionCategory
from registry.epes.taxcode import InvalidTaxCode, normalise_tax_code
from registry.types import json_field
from servicekit.columns import utc_field
from servicekit.inputs import InputModel
from servicekit.phones import Phone
from servicekit.units import UNIT_MAX_LENGTH, UNIT_PATTERN

EPE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


def _tax_code(value: str) -> str:
    try:
        return normalise_tax_code(value)
    except InvalidTaxCode as exc:
        raise ValueError(str(exc)) from None


TaxCode = Annotated[
    str,
    Field(
        description="MST: 10 digits with the check digit, or 10 + 3-digit branch suffix",
        examples=["0100109106", "0100109106-001"],
        max_length=20,
    ),
    AfterValidator(_tax_code),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Unit = Annotated[str, Field(pattern=UNIT_PATTERN, description="supervising customs sub-department")]


class EpeStatus(StrEnum):
    """Lifecycle of an EPE under supervision."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Contact(InputModel):
    """A person customs calls about the camera system (I.1.1.e.3)."""

    name: Text
    role: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Phone
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)] | None = (
        None
    )


class ContactPublic(BaseModel):
    """A contact as stored (one saved before a rule tightened is still shown)."""

    name: str
    role: str | None = None
    phone: str
    email: str | None = None


class Epe(RegistryModel, table=True):
    """An export processing enterprise under camera supervision."""

    __tablename__ = "epes"

    id: str = SQLField(primary_key=True, max_length=64)
    name: str = SQLField(max_length=500)
    address: str = SQLField(max_length=500)
    tax_code: str = SQLField(max_length=20, unique=True, index=True)
    unit: str = SQLField(max_length=UNIT_MAX_LENGTH, index=True)
    contacts: list[dict[str, Any]] = json_field()
    investment_certificate_date: date
    cameras_operating_at_effective_date: bool = False
    exemption_category: str = SQLField(max_length=16, index=True)
    exemption_reason: str = SQLField(max_length=1000)
    status: str = SQLField(default=EpeStatus.ACTIVE, max_length=16, index=True)
    created_by: str = SQLField(max_length=200)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class EpeCreate(InputModel):
    """Register an EPE; the exemption category is computed, never typed in."""

    id: Annotated[str, Field(pattern=EPE_ID_PATTERN)] | None = Field(
        default=None,
        description="optional; an EPE client registering itself gets its token's epe_id",
    )
    name: Text
    address: Text
    tax_code: TaxCode
    unit: Unit
    contacts: list[Contact] = Field(default_factory=list, max_length=20)
    investment_certificate_date: date = Field(
        description="date of the Investment Registration Certificate (or the authority's letter)"
    )
    cameras_operating_at_effective_date: bool = Field(
        default=False, description="a camera system was operating on 2022-03-02"
    )


class EpeUpdate(InputModel):
    """Change an EPE's particulars; only customs may change `unit` and `status`."""

    name: Text | None = None
    address: Text | None = None
    tax_code: TaxCode | None = None
    unit: Unit | None = None
    status: EpeStatus | None = None
    contacts: list[Contact] | None = Field(default=None, max_length=20)
    investment_certificate_date: date | None = None
    cameras_operating_at_effective_date: bool | None = None


class ExemptionPublic(BaseModel):
    """The computed I.1.3 category and why."""

    category: ExemptionCategory
    exempt: bool
    reason: str


class EpePublic(BaseModel):
    """An EPE as the API shows it."""

    id: str
    name: str
    address: str
    tax_code: str
    unit: str
    status: EpeStatus
    contacts: list[ContactPublic]
    investment_certificate_date: date
    cameras_operating_at_effective_date: bool
    exemption: ExemptionPublic
    open_coverage_gaps: int
    created_at: datetime
    updated_at: datetime
