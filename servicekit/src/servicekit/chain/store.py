"""One keyed chain kept in a service's own two tables: the records and a one-row head.

Every chain (access's audit log, evidence's custody trail) appends the same way: lock the
head, link the new record to the head's MAC, move the head; and checks the same way: read the
head first, walk the records up to it in batches. The tables stay the service's; only their
column names are given here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from servicekit.chain.anchors import Anchor
from servicekit.chain.links import GENESIS, Break, ChainChecker, ChainKey, Link

R = TypeVar("R", bound=SQLModel)
H = TypeVar("H", bound=SQLModel)


@dataclass(frozen=True)
class Columns:
    """The names of the chain fields in the service's tables."""

    head_mac: str = "last_mac"
    prev: str = "prev"
    mac: str = "mac"


class ChainStore(Generic[R, H]):
    """Append to and walk one chain; its key is bound per database engine when the app starts
    (`bind_key`), so the places that append need not carry it.

    A chain that existed before it was keyed keeps `keyed_from` on its head: records before it
    carry `legacy(link)` (their old plain hash), records from it on the keyed MAC."""

    def __init__(
        self,
        *,
        name: str,
        record: type[R],
        head: type[H],
        body: Callable[[R], dict[str, Any]],
        columns: Columns = Columns(),
        legacy: Callable[[Link], str] | None = None,
    ) -> None:
        self.name = name
        self.legacy = legacy
        self.record = record
        self.head_model = head
        self.body = body
        self.columns = columns
        self._keys: WeakKeyDictionary[Engine, ChainKey] = WeakKeyDictionary()

    def bind_key(self, engine: Engine, key: ChainKey) -> None:
        """Make `key` this chain's key for every session on `engine`."""
        self._keys[engine] = key

    def key(self, session: Session) -> ChainKey:
        """The key bound to the session's engine."""
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        key = self._keys.get(engine)
        if key is None:
            raise RuntimeError(f"no {self.name} chain key is bound to this database engine")
        return key

    def to_link(self, row: R) -> Link:
        """The record as a link of the chain."""
        record: Any = row  # the record models share no base class
        return Link(
            seq=record.seq,
            id=record.id,
            body=self.body(row),
            prev=getattr(row, self.columns.prev),
            mac=getattr(row, self.columns.mac),
        )

    def head(self, session: Session) -> H:
        """The head row as committed now (a fresh chain's is at seq 0)."""
        row = session.get(self.head_model, 1, populate_existing=True)
        return row or self.head_model(id=1, last_seq=0, **{self.columns.head_mac: GENESIS})

    def _locked_head(self, session: Session) -> H:
        # The no-op UPDATE takes the write lock first (SQLite's RESERVED lock, PostgreSQL's row
        # lock), so the head read next is the latest and no other appender forks the chain.
        model: Any = self.head_model
        result = session.execute(update(model).where(model.id == 1).values(last_seq=model.last_seq))
        if getattr(result, "rowcount", 1) == 0:
            session.add(self.head_model(id=1, last_seq=0, **{self.columns.head_mac: GENESIS}))
            session.flush()
        locked: H = session.exec(
            select(model).where(model.id == 1).execution_options(populate_existing=True)
        ).one()
        return locked

    def append(self, session: Session, entry: R) -> R:
        """Give `entry` the next seq and the head's MAC as its `prev`, MAC it, and move the
        head, in the caller's transaction (the caller commits)."""
        key = self.key(session)
        head = self._locked_head(session)
        record: Any = entry
        moved: Any = head
        record.seq = seq = int(moved.last_seq) + 1
        setattr(entry, self.columns.prev, getattr(head, self.columns.head_mac))
        link = self.to_link(entry)
        legacy = self.legacy is not None and seq < getattr(moved, "keyed_from", 1)
        value = self.legacy(link) if legacy and self.legacy else key.mac(link.prev, link.body)
        setattr(entry, self.columns.mac, value)
        moved.last_seq = seq
        setattr(head, self.columns.head_mac, value)
        session.add(entry)
        session.add(head)
        session.flush()
        return entry

    def verify(
        self,
        session: Session,
        *,
        anchors: Iterable[Anchor] = (),
        batch: int = 500,
    ) -> tuple[ChainChecker, Break | None]:
        """Check every record in order against the key and the anchors; the checker (counts)
        and the first break. The head is read first and the records up to it checked, so
        appends made meanwhile are not mistaken for a head that does not match."""
        current: Any = self.head(session)
        head_seq: int = current.last_seq
        checker = ChainChecker(
            self.key(session),
            anchors=list(anchors),
            keyed_from=getattr(current, "keyed_from", 1),
            legacy=self.legacy,
        )
        problem = checker.start() or self._walk(session, checker, up_to=head_seq, batch=batch)
        problem = problem or checker.finish(
            head_seq=head_seq, head_mac=getattr(current, self.columns.head_mac)
        )
        return checker, problem

    def _walk(
        self, session: Session, checker: ChainChecker, *, up_to: int, batch: int
    ) -> Break | None:
        model: Any = self.record
        after = 0
        while True:
            rows = session.exec(
                select(model)
                .where(model.seq > after, model.seq <= up_to)
                .order_by(model.seq)
                .limit(batch)
                .execution_options(populate_existing=True)
            ).all()
            if not rows:
                return None
            for row in rows:
                if problem := checker.check(self.to_link(row)):
                    return problem
            after = rows[-1].seq
            session.expunge_all()
