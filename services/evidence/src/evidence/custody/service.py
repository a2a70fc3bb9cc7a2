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

from sqlmodel import Session, col, select

from evidence.custody.models import CustodyAction, CustodyHead, CustodyRecord
from evidence.custody.schemas import BrokenRecord, CustodyRecordPublic, CustodyVerification
from servicekit.auth import Principal, Role
from servicekit.chain import Anchor, ChainStore, canonical_json
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


STORE = ChainStore(name="custody", record=CustodyRecord, head=CustodyHead, body=record_body)
"""The custody chain in this service's tables (the kit's default column names)."""

bind_key = STORE.bind_key
chain_key = STORE.key
to_link = STORE.to_link
head = STORE.head


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
    entry = CustodyRecord(
        seq=0,
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
        prev="",
        mac="",
    )
    return STORE.append(session, entry)


def verify_chain(
    session: Session, *, anchors: Iterable[Anchor] = (), batch: int = 500
) -> CustodyVerification:
    """Check every record in order against the key and the anchors; name the first bad one."""
    anchors = list(anchors)
    checker, problem = STORE.verify(session, anchors=anchors, batch=batch)
    return CustodyVerification(
        ok=problem is None,
        records_checked=checker.checked,
        last_seq=checker.last_seq,
        anchors_checked=len(anchors),
        first_broken=BrokenRecord(seq=problem.seq, id=problem.id, problem=problem.problem)
        if problem
        else None,
    )


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
