"""Appending to, verifying and exporting the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from access.audit.models import (
    GENESIS_HASH,
    AuditHead,
    AuditRecord,
    AuditRecordPublic,
    BrokenRecord,
    ChainVerification,
)
from access.context import AuditContext
from access.db import as_utc, new_id

SUCCESS = "success"
FAILURE = "failure"
REFUSED = "refused"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same bytes every time it is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_hash(record: AuditRecord) -> str:
    """SHA-256 over every field of the record, including the previous record's hash."""
    body = {
        "seq": record.seq,
        "id": record.id,
        "occurred_at": as_utc(record.occurred_at).isoformat(timespec="microseconds"),
        "actor": record.actor,
        "action": record.action,
        "target": record.target,
        "reason": record.reason,
        "outcome": record.outcome,
        "request_id": record.request_id,
        "trace_id": record.trace_id,
        "details": record.details,
        "corrects": record.corrects,
        "prev_hash": record.prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def _locked_head(session: Session) -> AuditHead:
    # The no-op UPDATE takes the write lock first (SQLite's RESERVED lock, PostgreSQL's row
    # lock), so the head read next is the latest and no other appender can fork the chain.
    result = session.execute(
        update(AuditHead).where(col(AuditHead.id) == 1).values(last_seq=AuditHead.last_seq)
    )
    if getattr(result, "rowcount", 1) == 0:
        session.add(AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH))
        session.flush()
    head = session.exec(
        select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)
    ).one()
    return head


def record(
    session: Session,
    *,
    context: AuditContext,
    action: str,
    occurred_at: datetime,
    target: str | None = None,
    reason: str | None = None,
    outcome: str = SUCCESS,
    details: dict[str, Any] | None = None,
    corrects: int | None = None,
    actor: str | None = None,
) -> AuditRecord:
    """Append a record to the chain in the caller's transaction (never store secrets here)."""
    head = _locked_head(session)
    entry = AuditRecord(
        seq=head.last_seq + 1,
        id=new_id(),
        occurred_at=as_utc(occurred_at),
        actor=actor or context.actor,
        action=action,
        target=target,
        reason=reason,
        outcome=outcome,
        request_id=context.request_id,
        trace_id=context.trace_id,
        details=canonical_json(details or {}),
        corrects=corrects,
        prev_hash=head.last_hash,
        hash="",
    )
    entry.hash = record_hash(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


def verify_chain(session: Session, *, batch: int = 500) -> ChainVerification:
    """Recompute every hash in order; name the first record where the chain breaks."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    after = 0
    while True:
        rows = session.exec(
            select(AuditRecord)
            .where(AuditRecord.seq > after)
            .order_by(col(AuditRecord.seq))
            .limit(batch)
            .execution_options(populate_existing=True)
        ).all()
        if not rows:
            break
        for row in rows:
            problem = None
            if row.seq != expected_seq:
                problem = f"expected record {expected_seq} next, found {row.seq} (records missing)"
            elif row.prev_hash != expected_prev:
                problem = "its prev_hash does not match the previous record's hash"
            elif record_hash(row) != row.hash:
                problem = "its content does not match its hash (modified)"
            if problem:
                return ChainVerification(
                    ok=False,
                    records_checked=checked,
                    last_seq=last_seq,
                    first_broken=BrokenRecord(seq=row.seq, id=row.id, problem=problem),
                )
            checked += 1
            last_seq = row.seq
            expected_prev = row.hash
            expected_seq = row.seq + 1
        after = rows[-1].seq
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        return ChainVerification(
            ok=False,
            records_checked=checked,
            last_seq=last_seq,
            first_broken=BrokenRecord(
                seq=last_seq + 1 if head.last_seq > last_seq else head.last_seq,
                id=None,
                problem=f"the chain head says record {head.last_seq} is last, "
                f"but the log ends at {last_seq} (records removed or head altered)",
            ),
        )
    return ChainVerification(ok=True, records_checked=checked, last_seq=last_seq)


def to_public(row: AuditRecord) -> AuditRecordPublic:
    """The exported shape of a record."""
    return AuditRecordPublic(
        seq=row.seq,
        id=row.id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        reason=row.reason,
        outcome=row.outcome,
        request_id=row.request_id,
        trace_id=row.trace_id,
        details=json.loads(row.details),
        corrects=row.corrects,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def list_records(
    session: Session,
    *,
    since: datetime | None,
    until: datetime | None,
    after_seq: int,
    limit: int,
    action: str | None = None,
    target: str | None = None,
) -> list[AuditRecord]:
    """Records in seq order within a time range (since inclusive, until exclusive)."""
    query = select(AuditRecord).where(AuditRecord.seq > after_seq)
    if since is not None:
        query = query.where(AuditRecord.occurred_at >= as_utc(since))
    if until is not None:
        query = query.where(AuditRecord.occurred_at < as_utc(until))
    if action is not None:
        query = query.where(AuditRecord.action == action)
    if target is not None:
        query = query.where(AuditRecord.target == target)
    return list(session.exec(query.order_by(col(AuditRecord.seq)).limit(limit)).all())


def iter_export(
    session: Session, *, since: datetime | None, until: datetime | None, batch: int = 500
) -> Iterator[AuditRecordPublic]:
    """Every record of a time range, in order, fetched in batches."""
    after = 0
    while True:
        rows = list_records(session, since=since, until=until, after_seq=after, limit=batch)
        if not rows:
            return
        for row in rows:
            yield to_public(row)
        after = rows[-1].seq


def get_record(session: Session, seq: int) -> AuditRecord | None:
    """One record by its sequence number."""
    return session.get(AuditRecord, seq)
