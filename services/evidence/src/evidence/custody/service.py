"""Appending to and checking the custody chain; every module that acts on evidence calls
`record_custody` in the transaction of its action, so the action and its record commit together.

The chain key is bound to the engine when the app starts (`bind_key`), derived from the
stack's `AUDIT_HMAC_KEY` for this chain only, so nobody with database rights alone can rewrite
a record and its MACs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from evidence.custody.models import CustodyAction, CustodyHead, CustodyRecord
from evidence.custody.schemas import BrokenRecord, CustodyRecordPublic, CustodyVerification
from servicekit.auth import Principal, Role
from servicekit.chain import GENESIS, Anchor, Break, ChainChecker, ChainKey, Link, canonical_json
from servicekit.ids import new_id

_ROLE_ORDER = (
    Role.HEAD_OF_SUBDEPARTMENT,
    Role.SUPERVISORY_OFFICER,
    Role.AUDITOR,
    Role.EPE_CLIENT,
    Role.USER_ADMINISTRATOR,
    Role.IT_OPERATOR,
    Role.CUSTOMS_SYSTEM,
)


@dataclass(frozen=True)
class Actor:
    """Who acted: a subject and the role they acted in (a share recipient has no token)."""

    subject: str
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The caller, named by its strongest role."""
        role = next((r.value for r in _ROLE_ORDER if principal.has(r)), "none")
        return cls(subject=principal.subject, role=role)


_KEYS: WeakKeyDictionary[Engine, ChainKey] = WeakKeyDictionary()


def bind_key(engine: Engine, key: ChainKey) -> None:
    """Make `key` the custody chain key of every session on this engine."""
    _KEYS[engine] = key


def chain_key(session: Session) -> ChainKey:
    """The chain key bound to the session's engine."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    key = _KEYS.get(engine)
    if key is None:
        raise RuntimeError("no custody chain key is bound to this database engine")
    return key


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def record_body(record: CustodyRecord) -> dict[str, Any]:
    """Every field the MAC covers (all but the chain fields)."""
    return {
        "seq": record.seq,
        "id": record.id,
        "action": record.action,
        "actor": record.actor,
        "actor_role": record.actor_role,
        "at": _utc(record.at).isoformat(timespec="microseconds"),
        "source": record.source,
        "request_id": record.request_id,
        "package_id": record.package_id,
        "file_id": record.file_id,
        "sha256": record.sha256,
        "details": record.details,
    }


def to_link(record: CustodyRecord) -> Link:
    """The record as a link of the chain."""
    return Link(
        seq=record.seq, id=record.id, body=record_body(record), prev=record.prev, mac=record.mac
    )


def _locked_head(session: Session) -> CustodyHead:
    # The no-op UPDATE takes the write lock first (SQLite's RESERVED lock, PostgreSQL's row
    # lock), so the head read next is the latest and no other appender forks the chain.
    result = session.execute(
        update(CustodyHead).where(col(CustodyHead.id) == 1).values(last_seq=CustodyHead.last_seq)
    )
    if getattr(result, "rowcount", 1) == 0:
        session.add(CustodyHead(id=1, last_seq=0, last_mac=GENESIS))
        session.flush()
    return session.exec(
        select(CustodyHead).where(CustodyHead.id == 1).execution_options(populate_existing=True)
    ).one()


def record_custody(
    session: Session,
    *,
    action: CustodyAction,
    actor: Actor | Principal,
    request_id: str,
    at: datetime,
    source: str | None,
    package_id: str | None = None,
    file_id: str | None = None,
    sha256: str | None = None,
    details: dict[str, Any] | None = None,
) -> CustodyRecord:
    """Append a custody record in the caller's transaction (the caller commits; no secrets in
    `details`)."""
    who = actor if isinstance(actor, Actor) else Actor.of(actor)
    key = chain_key(session)
    head = _locked_head(session)
    entry = CustodyRecord(
        seq=head.last_seq + 1,
        id=new_id(),
        action=CustodyAction(action).value,
        actor=who.subject,
        actor_role=who.role,
        at=_utc(at),
        source=source,
        request_id=request_id,
        package_id=package_id,
        file_id=file_id,
        sha256=sha256,
        details=canonical_json(details or {}),
        prev=head.last_mac,
        mac="",
    )
    entry.mac = key.mac(entry.prev, record_body(entry))
    head.last_seq = entry.seq
    head.last_mac = entry.mac
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


def head(session: Session) -> CustodyHead:
    """The chain's head row."""
    row = session.get(CustodyHead, 1, populate_existing=True)
    return row or CustodyHead(id=1, last_seq=0, last_mac=GENESIS)


def verify_chain(
    session: Session, *, anchors: Iterable[Anchor] = (), batch: int = 500
) -> CustodyVerification:
    """Check every record in order against the key and the anchors; name the first bad one.

    The head is read first and records up to it checked, so appends made meanwhile are not
    mistaken for a head that does not match."""
    anchors = list(anchors)
    current = head(session)
    checker = ChainChecker(chain_key(session), anchors=anchors)
    problem = checker.start() or _check_records(session, checker, current.last_seq, batch)
    problem = problem or checker.finish(head_seq=current.last_seq, head_mac=current.last_mac)
    return CustodyVerification(
        ok=problem is None,
        records_checked=checker.checked,
        last_seq=checker.last_seq,
        anchors_checked=len(anchors),
        first_broken=BrokenRecord(seq=problem.seq, id=problem.id, problem=problem.problem)
        if problem
        else None,
    )


def _check_records(session: Session, checker: ChainChecker, up_to: int, batch: int) -> Break | None:
    after = 0
    while True:
        rows = session.exec(
            select(CustodyRecord)
            .where(CustodyRecord.seq > after, CustodyRecord.seq <= up_to)
            .order_by(col(CustodyRecord.seq))
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


def trail(
    session: Session,
    *,
    request_id: str,
    after_seq: int = 0,
    limit: int | None = None,
    package_id: str | None = None,
) -> list[CustodyRecord]:
    """A request's (or a package's) records in chain order, after `after_seq`."""
    query = select(CustodyRecord).where(
        CustodyRecord.request_id == request_id, CustodyRecord.seq > after_seq
    )
    if package_id is not None:
        query = query.where(CustodyRecord.package_id == package_id)
    query = query.order_by(col(CustodyRecord.seq))
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def to_public(row: CustodyRecord) -> CustodyRecordPublic:
    """The exported shape of a record."""
    return CustodyRecordPublic(
        seq=row.seq,
        id=row.id,
        action=row.action,
        actor=row.actor,
        actor_role=row.actor_role,
        at=_utc(row.at),
        source=row.source,
        request_id=row.request_id,
        package_id=row.package_id,
        file_id=row.file_id,
        sha256=row.sha256,
        details=json.loads(row.details),
        prev=row.prev,
        mac=row.mac,
    )
