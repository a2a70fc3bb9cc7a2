"""Ingestion: idempotent by natural key and version; an amendment supersedes, never edits."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from risk.customs.models import CustomsRecord, RecordKind, RecordRef
from risk.customs.schemas import (
    BatchItem,
    BatchResult,
    CustomsRecordIn,
    FieldProblem,
    IngestResult,
    Outcome,
)
from risk.scoring.marks import mark_declarations_due
from servicekit.errors import Conflict
from servicekit.ids import new_id

CHUNK = 900
"""Numbers per IN list (well under SQLite's bound variables limit)."""


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
    Returns the answer and the records created.

    Set-based, with the outcome `ingest` gives record by record: one query (per CHUNK of
    numbers) for the versions already stored, one multi-row insert each of records and lookup
    rows, one executemany for older versions a new one supersedes. A batch of thousands holds
    the database (SQLite's single writer) for milliseconds, not seconds."""
    items: dict[int, BatchItem] = {}
    valid: list[tuple[int, CustomsRecordIn]] = []
    for index, raw in enumerate(records):
        try:
            valid.append((index, model.model_validate(raw)))
        except ValidationError as exc:
            items[index] = _rejected(index, problems_of(exc))
    kind = model.kind.value
    versions = _stored_versions(session, kind, sorted({r.natural_key()[0] for _, r in valid}))
    created: list[CustomsRecord] = []
    for index, record in valid:
        number, version = record.natural_key()
        data = record.model_dump(mode="json")
        digest = digest_of(data)
        known = versions.setdefault(number, {})
        stored = known.get(version)
        if stored is not None:
            if stored.digest != digest:
                problem = FieldProblem(
                    field="version", message=str(VersionClash(kind, number, version))
                )
                items[index] = _rejected(index, [problem])
                continue
            outcome = Outcome.UNCHANGED
        else:
            stored = _Version(new_id(), version, digest, record.owner(), None, record)
            stored.row = CustomsRecord(
                id=stored.id,
                kind=kind,
                number=number,
                version=version,
                epe_tax_code=stored.tax_code,
                occurred_at=record.occurred(),
                data=data,
                digest=digest,
                source=source,
                received_at=now,
                superseded_by=None,
            )
            known[version] = stored
            created.append(stored.row)
            outcome = Outcome.CREATED
        items[index] = BatchItem(
            index=index, outcome=outcome, id=stored.id, number=number, version=version
        )
    _store(session, kind, created, versions)
    return summarise([items[i] for i in sorted(items)]), created


class _Version:
    """One version of a record: stored before (`row` None) or created by this batch."""

    __slots__ = ("digest", "id", "record", "row", "superseded_by", "tax_code", "version")

    def __init__(
        self,
        id_: str,
        version: int,
        digest: str,
        tax_code: str | None,
        superseded_by: str | None,
        record: CustomsRecordIn | None = None,
    ) -> None:
        self.id, self.version, self.digest = id_, version, digest
        self.tax_code, self.superseded_by, self.record = tax_code, superseded_by, record
        self.row: CustomsRecord | None = None


def _stored_versions(
    session: Session, kind: str, numbers: list[str]
) -> dict[str, dict[int, _Version]]:
    """{number: {version: stored version}} of these records of one kind."""
    found: dict[str, dict[int, _Version]] = defaultdict(dict)
    table = CustomsRecord.__table__  # type: ignore[attr-defined]
    for start in range(0, len(numbers), CHUNK):
        query = sa_select(
            table.c.number,
            table.c.id,
            table.c.version,
            table.c.digest,
            table.c.epe_tax_code,
            table.c.superseded_by,
        ).where(table.c.kind == kind, table.c.number.in_(numbers[start : start + CHUNK]))
        for number, id_, version, digest, tax_code, superseded in session.execute(query):
            found[number][version] = _Version(id_, version, digest, tax_code, superseded)
    return found


def _store(
    session: Session,
    kind: str,
    created: list[CustomsRecord],
    versions: dict[str, dict[int, _Version]],
) -> None:
    """Insert the new versions and their lookup rows, repoint superseded ones, and mark the
    EPEs whose declarations changed for rescoring (Core statements skip the ORM hook)."""
    if not created:
        return
    superseded, tax_codes = _superseded(created, versions)
    refs: list[dict[str, Any]] = []
    for row in created:
        if row.epe_tax_code:
            tax_codes.add(row.epe_tax_code)
        record = versions[row.number][row.version].record
        assert record is not None
        refs += [
            _ref(row.id, kind, container_number=c) for c in sorted(set(record.named_containers()))
        ]
        refs += [_ref(row.id, kind, plate=p) for p in sorted(set(record.named_plates()))]
    connection = session.connection()
    table = CustomsRecord.__table__  # type: ignore[attr-defined]
    columns = [c.name for c in table.columns]
    connection.execute(insert(table), [{c: getattr(r, c) for c in columns} for r in created])
    if refs:
        connection.execute(insert(RecordRef), refs)
    if superseded:
        statement = (
            update(table)
            .where(table.c.id == bindparam("ident"))
            .values(superseded_by=bindparam("target"))
        )
        connection.execute(statement, superseded)
    if kind == RecordKind.DECLARATION.value and tax_codes:
        mark_declarations_due(connection, tax_codes)


def _superseded(
    created: list[CustomsRecord], versions: dict[str, dict[int, _Version]]
) -> tuple[list[dict[str, Any]], set[str]]:
    """Point every version older than the latest at the latest (as `_supersede` does for one
    record): new rows are set in place; returns the updates of stored rows and their tax
    codes."""
    updates: list[dict[str, Any]] = []
    tax_codes: set[str] = set()
    for number in {row.number for row in created}:
        known = versions[number]
        latest = known[max(known)]
        for stored in known.values():
            target = None if stored is latest else latest.id
            if stored.row is not None:
                stored.row.superseded_by = target
            elif stored.superseded_by != target:
                updates.append({"ident": stored.id, "target": target})
                if stored.tax_code:
                    tax_codes.add(stored.tax_code)
    return updates, tax_codes


def _ref(record_id: str, kind: str, **named: str) -> dict[str, Any]:
    return {"record_id": record_id, "kind": kind, "container_number": None, "plate": None} | named


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
