"""Appending to, verifying and exporting the keyed, hash-chained audit log.

The chain key is bound to the engine when the app or the CLI starts (`bind_key`), so the
dozens of places that append a record need not carry it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from access.audit.models import (
    AnchorPublic,
    AuditHead,
    AuditRecord,
    AuditRecordPublic,
    BrokenRecord,
    ChainVerification,
)
from access.context import AuditContext
from access.db import as_utc
from servicekit.chain import Anchor, ChainStore, Columns, Link, canonical_json
from servicekit.ids import new_id

SUCCESS = "success"
FAILURE = "failure"
REFUSED = "refused"


def record_body(record: AuditRecord) -> dict[str, Any]:
    """Every field of the record the chain covers, except the chain fields themselves."""
    return {
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
    }


def legacy_hash(link: Link) -> str:
    """The plain SHA-256 of records written before the chain was keyed."""
    body = {**link.body, "prev_hash": link.prev}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


STORE = ChainStore(
    name="audit",
    record=AuditRecord,
    head=AuditHead,
    body=record_body,
    columns=Columns(head_mac="last_hash", prev="prev_hash", mac="hash"),
    legacy=legacy_hash,
)
"""The audit chain in this service's tables; records before the head's `keyed_from` were
written before the chain was keyed and keep their plain hash."""

bind_key = STORE.bind_key
chain_key = STORE.key
to_link = STORE.to_link
head = STORE.head


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
    entry = AuditRecord(
        seq=0,
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
        prev_hash="",
        hash="",
    )
    return STORE.append(session, entry)


def verify_chain(
    session: Session, *, anchors: Iterable[Anchor] = (), batch: int = 500
) -> ChainVerification:
    """Check every record in order against the key and the anchors; name the first bad one."""
    anchors = list(anchors)
    checker, problem = STORE.verify(session, anchors=anchors, batch=batch)
    last = anchors[-1] if anchors else None
    return ChainVerification(
        ok=problem is None,
        records_checked=checker.checked,
        last_seq=checker.last_seq,
        anchors_checked=len(anchors),
        last_anchor=AnchorPublic(seq=last.seq, mac=last.mac, anchored_at=last.anchored_at)
        if last
        else None,
        first_broken=BrokenRecord(seq=problem.seq, id=problem.id, problem=problem.problem)
        if problem
        else None,
    )


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
