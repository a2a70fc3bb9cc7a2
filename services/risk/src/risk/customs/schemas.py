"""What VNACCS-side systems send: one input model per kind of record, and the answers.

Each input model says how it is keyed (natural key and version), whose it is (EPE tax code),
when it happened and which containers and plates it names; ingestion needs nothing else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from risk.customs.models import RecordKind
from servicekit.inputs import InputModel, Instant
from servicekit.vehicles import ContainerNumber, Plate

BATCH_MAX = 5000
"""Records in one batch request ("a few thousand")."""

TaxCode = Annotated[
    str, Field(pattern=r"^\d{10}(-\d{3})?$", description="EPE tax code, e.g. 0301234567")
]
DocNumber = Annotated[
    str,
    Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]*$"),
]
Version = Annotated[
    int, Field(ge=1, le=999, description="1 for the original; each amendment adds one")
]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]


class Flow(StrEnum):
    """Import or export declaration."""

    IMPORT = "import"
    EXPORT = "export"


class Channel(StrEnum):
    """VNACCS risk channel of a declaration."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class NoteKind(StrEnum):
    """Goods receipt or delivery note (Circular 38/2015 Art. 60 cl. 1)."""

    RECEIPT = "receipt"
    DELIVERY = "delivery"


class CustomsRecordIn(InputModel):
    """Base of the records: how ingestion keys, dates and indexes each of them."""

    kind: ClassVar[RecordKind]

    def natural_key(self) -> tuple[str, int]:
        """(number, version) identifying this record among its kind."""
        raise NotImplementedError

    def owner(self) -> str | None:
        """The EPE tax code the record concerns, when it names one."""
        return None

    def occurred(self) -> datetime:
        """The instant matching compares with gate times."""
        raise NotImplementedError

    def named_containers(self) -> list[str]:
        """Container numbers the record names."""
        return []

    def named_plates(self) -> list[str]:
        """Vehicle plates the record names."""
        return []


class DocumentIn(CustomsRecordIn):
    """A customs document: numbered, versioned, naming containers and vehicles."""

    number: DocNumber
    version: Version = 1
    container_numbers: list[ContainerNumber] = Field(default_factory=list, max_length=500)
    plates: list[Plate] = Field(default_factory=list, max_length=100)

    def natural_key(self) -> tuple[str, int]:
        return self.number, self.version

    def named_containers(self) -> list[str]:
        return list(self.container_numbers)

    def named_plates(self) -> list[str]:
        return list(self.plates)


class GoodsLine(InputModel):
    """One goods line of a declaration."""

    hs_code: str = Field(pattern=r"^\d{8}$", description="8-digit Vietnamese HS code")
    description: ShortText
    quantity: float = Field(gt=0, allow_inf_nan=False)
    unit: str = Field(min_length=1, max_length=20)


class DeclarationIn(DocumentIn):
    """A customs declaration (or an amendment of one: same number, next version)."""

    kind: ClassVar[RecordKind] = RecordKind.DECLARATION

    number: str = Field(pattern=r"^\d{12}$", description="12-digit VNACCS number")
    flow: Flow
    type_code: str = Field(pattern=r"^[A-Z]\d{2}$", description="type code, e.g. E52 or A12")
    epe_tax_code: TaxCode
    channel: Channel
    registered_at: Instant
    cleared_at: Instant | None = None
    goods: list[GoodsLine] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _cleared_after_registered(self) -> DeclarationIn:
        if self.cleared_at is not None and self.cleared_at < self.registered_at:
            raise ValueError("cleared_at must not be before registered_at")
        return self

    def owner(self) -> str | None:
        return self.epe_tax_code

    def occurred(self) -> datetime:
        return self.registered_at


class ReleaseIn(DocumentIn):
    """A goods release confirmation from a customs-controlled area."""

    kind: ClassVar[RecordKind] = RecordKind.RELEASE

    declaration_number: str = Field(pattern=r"^\d{12}$")
    epe_tax_code: TaxCode
    place: ShortText = Field(description="customs-controlled area that released the goods")
    place_latitude: float | None = Field(
        default=None, ge=-90, le=90, allow_inf_nan=False, description="of the place (WGS 84)"
    )
    place_longitude: float | None = Field(
        default=None, ge=-180, le=180, allow_inf_nan=False, validate_default=True
    )
    released_at: Instant

    @field_validator("place_longitude")
    @classmethod
    def _located_in_pairs(cls, value: float | None, info: ValidationInfo) -> float | None:
        if "place_latitude" in info.data and (info.data["place_latitude"] is None) != (
            value is None
        ):
            raise ValueError("give place_latitude and place_longitude together, or neither")
        return value

    def owner(self) -> str | None:
        return self.epe_tax_code

    def occurred(self) -> datetime:
        return self.released_at


class GoodsNoteIn(DocumentIn):
    """A goods receipt or delivery note between the EPE and a customs-controlled area."""

    kind: ClassVar[RecordKind] = RecordKind.GOODS_NOTE

    note_kind: NoteKind
    declaration_number: str | None = Field(default=None, pattern=r"^\d{12}$")
    epe_tax_code: TaxCode
    noted_at: Instant

    def owner(self) -> str | None:
        return self.epe_tax_code

    def occurred(self) -> datetime:
        return self.noted_at


class ManifestIn(DocumentIn):
    """A manifest: the containers a vessel, flight or truck carries."""

    kind: ClassVar[RecordKind] = RecordKind.MANIFEST

    transport: ShortText = Field(description="vessel, flight or vehicle and voyage")
    epe_tax_code: TaxCode | None = None
    expected_at: Instant = Field(description="arrival or departure")

    def owner(self) -> str | None:
        return self.epe_tax_code

    def occurred(self) -> datetime:
        return self.expected_at


class GpsFixIn(CustomsRecordIn):
    """One position of a vehicle (Ministry of Transport feed): keyed by plate and time."""

    kind: ClassVar[RecordKind] = RecordKind.GPS_FIX

    plate: Plate
    at: Instant
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    speed_kmh: float | None = Field(default=None, ge=0, le=300, allow_inf_nan=False)

    def natural_key(self) -> tuple[str, int]:
        return f"{self.plate}@{self.at.isoformat()}", 1

    def occurred(self) -> datetime:
        return self.at

    def named_plates(self) -> list[str]:
        return [self.plate]


class Outcome(StrEnum):
    """What ingestion did with a record."""

    CREATED = "created"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


class FieldProblem(BaseModel):
    """One wrong field of a record."""

    field: str
    message: str


class IngestResult(BaseModel):
    """The answer for one record."""

    kind: RecordKind
    number: str
    version: int
    outcome: Outcome
    id: str
    current: bool = Field(description="false when a later version supersedes this one")


class BatchItem(BaseModel):
    """The answer for one record of a batch, by its index in the request."""

    index: int
    outcome: Outcome
    id: str | None = None
    number: str | None = None
    version: int | None = None
    errors: list[FieldProblem] = Field(default_factory=list)


class BatchIn(BaseModel):
    """Records of one kind, each checked on its own so a bad one does not sink the others.

    Not an `InputModel`: every record is validated by its kind's `InputModel` (unknown
    fields, text and instants checked there), and a failure is reported for that record.
    """

    model_config = ConfigDict(extra="forbid")

    records: list[dict[str, Any]] = Field(min_length=1, max_length=BATCH_MAX)


class BatchResult(BaseModel):
    """Counts and one item per record, in request order."""

    created: int
    unchanged: int
    rejected: int
    items: list[BatchItem]
