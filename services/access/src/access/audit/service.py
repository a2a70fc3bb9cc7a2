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
from weakref import WeakKeyDictionary

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from access.audit.models import (
    GENESIS_HASH,
    AnchorPublic,
    AuditHead,
    AuditRecord,
    AuditRecordPublic,
    BrokenRecord,
    ChainVerification,
)
from access.context import AuditContext
from access.db import as_utc
from servicekit.chain import Anchor, Break, ChainChecker, ChainKey, Link, canonical_json
from servicekit.ids import new_id

SUCCESS = "success"
FAILURE = "failure"
REFUSED = "refused"


_KEYS: WeakKeyDictionary[Engine, ChainKey] = WeakKeyDictionary()


def bind_key(engine: Engine, key: ChainKey) -> None:
    """Make `key` the chain key of every session on this engine."""
    _KEYS[engine] = key


def chain_key(session: Session) -> ChainKey:
    """The chain key bound to the session's engine."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = _KEYS.get(engine)
    if key is None:
        raise RuntimeError("no audit chain key is bound to this database engine")
    return key


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


def to_link(record: AuditRecord) -> Link:
    """The record as a link of the chain."""
    return Link(
        seq=record.seq,
        id=record.id,
        body=record_body(record),
        prev=record.prev_hash,
        mac=record.hash,
    )


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
    key = chain_key(session)
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
    entry.hash = (
        key.mac(entry.prev_hash, record_body(entry))
        if entry.seq >= head.keyed_from
        else legacy_hash(to_link(entry))
    )
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


def head(session: Session) -> AuditHead:
    """The chain's head row."""
    row = session.get(AuditHead, 1, populate_existing=True)
    return row or AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH)


def verify_chain(
    session: Session, *, anchors: Iterable[Anchor] = (), batch: int = 500
) -> ChainVerification:
    """Check every record in order against the key and the anchors; name the first bad one.

    The head is read first and records up to it are checked, so appends made meanwhile by
    other requests are not mistaken for a head that does not match.
    """
    anchors = list(anchors)
    current = head(session)
    checker = ChainChecker(
        chain_key(session), anchors=anchors, keyed_from=current.keyed_from, legacy=legacy_hash
    )
    problem = checker.start() or _check_records(session, checker, current.last_seq, batch)
    problem = problem or checker.finish(head_seq=current.last_seq, head_mac=current.last_hash)
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


def _check_records(session: Session, checker: ChainChecker, up_to: int, batch: int) -> Break | None:
    after = 0
    while True:
        rows = session.exec(
            select(AuditRecord)
            .where(AuditRecord.seq > after)
            .where(AuditRecord.seq <= up_to)
            .order_by(col(AuditRecord.seq))
            .limit(batch)
            .execution_options(populate_existing=True)
        ).all()
        if not rows:
            return None
        for row in rows:
            if problem := checker.check(to_link(row)):
                return problem
        after = rows[-1].seq
        session.expunge_all()


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
