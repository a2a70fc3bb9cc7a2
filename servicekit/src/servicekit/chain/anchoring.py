"""Anchoring a chain's head outside the database on a timer kept in the database.

A replica anchors only after moving the timer's `due_at` forward in its own transaction, so of
two replicas only one anchors a given tick; the claim is a short lease, so if the S3 write
fails or the process dies, another try comes after it. The timer table is the service's (one
row, id 1, with `due_at` and `anchored_seq`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from servicekit.chain.anchors import Anchor, AnchorStore
from servicekit.chain.store import ChainStore

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)

Anchored = Callable[[Session, Anchor, str], None]
"""Called with the anchor and its object key in the transaction that records it (an event)."""


def _claim(
    session: Session, timer: type[SQLModel], *, now: datetime, until: datetime, force: bool
) -> bool:
    """Move the timer to `until` if it is due (or `force`); whether this caller got it."""
    model: Any = timer
    statement = update(model).where(model.id == 1)
    if not force:
        statement = statement.where(model.due_at <= now)
    if getattr(session.execute(statement.values(due_at=until)), "rowcount", 0) == 1:
        return True
    if session.get(timer, 1) is not None:
        return False
    session.add(timer(id=1, due_at=until))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return True


def anchor_head(
    engine: Engine,
    chain: ChainStore[Any, Any],
    *,
    name: str,
    timer: type[SQLModel],
    store: AnchorStore,
    now: datetime,
    interval: timedelta,
    force: bool = False,
    unchanged_too: bool = False,
    anchored: Anchored | None = None,
) -> Anchor | None:
    """Anchor the chain's head if the timer is due (or `force`) and the head moved since the
    last anchor (or `unchanged_too`); the anchor, or None when there was nothing to do."""
    model: Any = timer
    with Session(engine) as session:
        if not _claim(session, timer, now=now, until=now + min(LEASE, interval), force=force):
            return None
        head: Any = chain.head(session)
        row = session.get(timer, 1, populate_existing=True)
        anchored_seq = getattr(row, "anchored_seq", 0) or 0
        if head.last_seq == 0 or (head.last_seq == anchored_seq and not unchanged_too):
            session.execute(update(model).where(model.id == 1).values(due_at=now + interval))
            session.commit()
            return None
        result = Anchor(
            chain=name,
            seq=head.last_seq,
            mac=getattr(head, chain.columns.head_mac),
            keyed_from=getattr(head, "keyed_from", 1),
            key_id=chain.key(session).key_id,
            anchored_at=now,
        )
        session.commit()
    object_key = store.write(result)
    with Session(engine) as session:
        session.execute(
            update(model)
            .where(model.id == 1)
            .values(due_at=now + interval, anchored_seq=result.seq)
        )
        if anchored is not None:
            anchored(session, result, object_key)
        session.commit()
    log.info("anchored the %s chain at record %d (%s)", name, result.seq, object_key)
    return result
