"""Declarations of conformity and customs' confirmations (I.1.3.b.2)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints
from sqlmodel import Field as SQLField

from registry.db import RegistryModel
from registry.types import json_field
from servicekit.columns import utc_field
from servicekit.inputs import InputModel

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class LineResult(StrEnum):
    """The outcome of one Appendix I line for one camera."""

    PASS = "pass"  # noqa: S105 - a test outcome, not a password
    FAIL = "fail"
    NOT_DECLARED = "not_declared"


class ReviewDecision(StrEnum):
    """Customs' decision on a declaration."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ConformityStatus(StrEnum):
    """Where an EPE stands with Appendix I."""

    EXEMPT = "exempt"
    NOT_DECLARED = "not_declared"
    DECLARED = "declared"  # awaiting customs' examination
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    OUTDATED = "outdated"  # cameras changed since the declaration


class ConformityDeclaration(RegistryModel, table=True):
    """The EPE's declaration of conformity with the minimum technical requirements."""

    __tablename__ = "conformity_declarations"

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64, index=True)
    statement: str = SQLField(max_length=4000)
    signed_by: str = SQLField(max_length=200)
    documents: list[dict[str, Any]] = json_field()
    specs_fingerprint: str = SQLField(max_length=64)
    declared_by: str = SQLField(max_length=200)
    declared_at: datetime = utc_field()


class ConformityReview(RegistryModel, table=True):
    """An officer's confirmation or rejection of a declaration, with reasons."""

    __tablename__ = "conformity_reviews"

    id: str = SQLField(primary_key=True, max_length=36)
    epe_id: str = SQLField(foreign_key="epes.id", max_length=64, index=True)
    declaration_id: str = SQLField(foreign_key="conformity_declarations.id", max_length=36)
    decision: str = SQLField(max_length=16)
    reasons: list[str] = json_field()
    reviewed_by: str = SQLField(max_length=200)
    reviewer_role: str = SQLField(max_length=64)
    reviewed_at: datetime = utc_field()


class TechnicalDocument(InputModel):
    """A technical document supporting the declaration (datasheet, test report...)."""

    title: Line
    reference: Annotated[str, StringConstraints(max_length=500)] | None = None


class DeclarationCreate(InputModel):
    """The EPE declares its camera system conforms to Appendix I."""

    statement: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
    ]
    signed_by: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    documents: list[TechnicalDocument] = Field(default_factory=list, max_length=100)


class ReviewCreate(InputModel):
    """Confirm or reject the latest declaration; a rejection states its reasons."""

    declaration_id: str = Field(max_length=36)
    decision: ReviewDecision
    reasons: list[Line] = Field(default_factory=list, max_length=50)


class RequirementResult(BaseModel):
    """One Appendix I line checked against a camera's declared specs."""

    line: str
    specification: str
    requirement: str
    declared: str | None
    result: LineResult


class CameraConformity(BaseModel):
    """Appendix I results of one camera."""

    camera_id: str
    camera_number: str
    passed: int
    failed: int
    not_declared: int
    lines: list[RequirementResult]


class DeclarationPublic(BaseModel):
    """A declaration as the API shows it."""

    id: str
    epe_id: str
    statement: str
    signed_by: str
    documents: list[TechnicalDocument]
    declared_by: str
    declared_at: datetime


class ReviewPublic(BaseModel):
    """A review as the API shows it."""

    id: str
    declaration_id: str
    decision: ReviewDecision
    reasons: list[str]
    reviewed_by: str
    reviewer_role: str
    reviewed_at: datetime


class ConformityReport(BaseModel):
    """An EPE's standing with Appendix I: exempt with the reason, or checks and decisions."""

    epe_id: str
    status: ConformityStatus
    exemption_category: str
    exemption_reason: str
    cameras: list[CameraConformity]
    declaration: DeclarationPublic | None
    review: ReviewPublic | None
