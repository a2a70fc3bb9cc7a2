"""Ingestion: idempotent by natural key and version; an amendment supersedes, never edits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from risk.customs.models import CustomsRecord, RecordRef
from risk.customs.schemas import (
    BatchItem,
    BatchResult,
    CustomsRecordIn,
    FieldProblem,
    IngestResult,
    Outcome,
)
from servicekit.errors import Conflict
from servicekit.ids import new_id


class VersionClash(Exception):
    """The same version of a record arrived before with other content."""

    def __init__(self, kind: str, number: str, version: int) -> None:
        super().__init__(
            f"version {version} of {kind} {number} was received before with other content; "
            "send an amendment as the next version"
        )


def digest_of(data: dict[str, Any]) -> str:
    """A stable hash of a normalised record (key order and spacing do not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def ingest(
    session: Session, record: CustomsRecordIn, *, source: str, now: datetime
) -> tuple[CustomsRecord, Outcome]:
    """Store one record unless this version is already stored; raises VersionClash when the
    stored version differs. The caller commits."""
    kind = record.kind.value
    number, version = record.natural_key()
    data = record.model_dump(mode="json")
    digest = digest_of(data)
    versions = list(
        session.exec(
            select(CustomsRecord).where(CustomsRecord.kind == kind, CustomsRecord.number == number)
        )
    )
    for stored in versions:
        if stored.version == version:
            if stored.digest != digest:
                raise VersionClash(kind, number, version)
            return stored, Outcome.UNCHANGED
    row = CustomsRecord(
        id=new_id(),
        kind=kind,
        number=number,
        version=version,
        epe_tax_code=record.owner(),
        occurred_at=record.occurred(),
        data=data,
        digest=digest,
        source=source,
        received_at=now,
    )
    _supersede(row, versions)
    session.add(row)
    containers = sorted(set(record.named_containers()))
    plates = sorted(set(record.named_plates()))
    session.add_all(RecordRef(record_id=row.id, kind=kind, container_number=c) for c in containers)
    session.add_all(RecordRef(record_id=row.id, kind=kind, plate=p) for p in plates)
    session.flush()
    return row, Outcome.CREATED


def _supersede(row: CustomsRecord, versions: Sequence[CustomsRecord]) -> None:
    """Point every version older than the latest at the latest (rows are otherwise kept)."""
    latest = max([*versions, row], key=lambda r: r.version)
    for other in [*versions, row]:
        other.superseded_by = None if other is latest else latest.id


def result_of(row: CustomsRecord, outcome: Outcome) -> IngestResult:
    """The answer for one stored record."""
    return IngestResult(
        kind=row.kind,
        number=row.number,
        version=row.version,
        outcome=outcome,
        id=row.id,
        current=row.superseded_by is None,
    )


def ingest_one(
    session: Session, record: CustomsRecordIn, *, source: str, now: datetime
) -> tuple[CustomsRecord, IngestResult]:
    """One record from a single-record request: a clash is a 409."""
    try:
        row, outcome = ingest(session, record, source=source, now=now)
    except VersionClash as exc:
        raise Conflict(str(exc)) from exc
    return row, result_of(row, outcome)


def ingest_batch(
    session: Session,
    model: type[CustomsRecordIn],
    records: Sequence[dict[str, Any]],
    *,
    source: str,
    now: datetime,
) -> tuple[BatchResult, list[CustomsRecord]]:
    """Validate and store each record on its own; bad ones are reported by index and field.
    Returns the answer and the records created."""
    items: list[BatchItem] = []
    created: list[CustomsRecord] = []
    for index, raw in enumerate(records):
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            items.append(_rejected(index, problems_of(exc)))
            continue
        try:
            row, outcome = ingest(session, record, source=source, now=now)
        except VersionClash as exc:
            items.append(_rejected(index, [FieldProblem(field="version", message=str(exc))]))
            continue
        if outcome == Outcome.CREATED:
            created.append(row)
        stored = {"id": row.id, "number": row.number, "version": row.version}
        items.append(BatchItem(index=index, outcome=outcome, **stored))
    return summarise(items), created


def summarise(items: list[BatchItem]) -> BatchResult:
    """Counts by outcome, with the items in request order."""
    counts = {o: sum(1 for i in items if i.outcome == o) for o in Outcome}
    return BatchResult(
        created=counts[Outcome.CREATED],
        unchanged=counts[Outcome.UNCHANGED],
        rejected=counts[Outcome.REJECTED],
        items=items,
    )


def _rejected(index: int, problems: list[FieldProblem]) -> BatchItem:
    return BatchItem(index=index, outcome=Outcome.REJECTED, errors=problems)


def problems_of(exc: ValidationError) -> list[FieldProblem]:
    """Pydantic errors as {field, message}, without the input (it is not echoed back)."""
    problems = []
    for error in exc.errors(include_input=False):
        field = ".".join(str(part) for part in error["loc"]) or "record"
        cause = error.get("ctx", {}).get("error")
        message = str(cause) if error["type"] == "value_error" and cause else error["msg"]
        problems.append(FieldProblem(field=field, message=message))
    return problems
