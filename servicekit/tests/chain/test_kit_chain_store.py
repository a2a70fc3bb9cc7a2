"""A chain kept in a service's own tables (SQLite and PostgreSQL): appends link to the head
under its lock, the walk checks every record up to the head, an edit is named, and a legacy
segment written before the chain was keyed keeps its plain hashes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel

from servicekit.chain import GENESIS, ChainKey, ChainStore, Columns, Link, canonical_json
from servicekit.db import make_engine

KEY = ChainKey(b"a secret held outside the database", chain="store-test")


class _Base(SQLModel, registry=registry()):
    pass


class Entry(_Base, table=True):
    __tablename__ = "kit_chain_entries"

    seq: int = Field(primary_key=True)
    id: str
    note: str
    prev_hash: str
    hash: str


class Head(_Base, table=True):
    __tablename__ = "kit_chain_head"

    id: int = Field(primary_key=True)
    last_seq: int
    last_hash: str
    keyed_from: int = 1


def body(entry: Entry) -> dict[str, Any]:
    return {"seq": entry.seq, "id": entry.id, "note": entry.note}


def plain_hash(link: Link) -> str:
    return hashlib.sha256(canonical_json({**link.body, "prev": link.prev}).encode()).hexdigest()


COLUMNS = Columns(head_mac="last_hash", prev="prev_hash", mac="hash")


@pytest.fixture
def store(database):
    engine = make_engine(database.url, schema=database.schema)
    _Base.metadata.create_all(engine)
    chain = ChainStore(name="test", record=Entry, head=Head, body=body, columns=COLUMNS)
    chain.bind_key(engine, KEY)
    yield chain, engine
    engine.dispose()


def append(chain: ChainStore[Entry, Head], session: Session, note: str) -> Entry:
    return chain.append(session, Entry(seq=0, id=f"id-{note}", note=note, prev_hash="", hash=""))


def test_appends_link_to_the_head_and_verify(store) -> None:
    chain, engine = store
    with Session(engine) as session:
        assert chain.head(session).last_seq == 0
        first = append(chain, session, "one")
        second = append(chain, session, "two")
        session.commit()
        assert (first.seq, first.prev_hash) == (1, GENESIS)
        assert (second.seq, second.prev_hash) == (2, first.hash)
        assert second.hash == KEY.mac(first.hash, body(second))
        assert (chain.head(session).last_seq, chain.head(session).last_hash) == (2, second.hash)
        checker, problem = chain.verify(session, batch=1)
        assert problem is None and checker.checked == 2


def test_an_edit_in_the_table_is_named(store) -> None:
    chain, engine = store
    with Session(engine) as session:
        for note in ("one", "two", "three"):
            append(chain, session, note)
        session.commit()
        session.execute(text("UPDATE kit_chain_entries SET note = 'edited' WHERE seq = 2"))
        session.commit()
        _, problem = chain.verify(session)
        assert problem is not None and (problem.seq, problem.id) == (2, "id-two")


def test_an_unbound_engine_is_refused(database) -> None:
    engine = make_engine(database.url, schema=database.schema)
    chain = ChainStore(name="unbound", record=Entry, head=Head, body=body, columns=COLUMNS)
    with Session(engine) as session, pytest.raises(RuntimeError, match="no unbound chain key"):
        chain.key(session)
    engine.dispose()


def test_records_before_keyed_from_keep_their_plain_hash(store) -> None:
    chain, engine = store
    legacy = ChainStore(
        name="test", record=Entry, head=Head, body=body, columns=COLUMNS, legacy=plain_hash
    )
    legacy.bind_key(engine, KEY)
    with Session(engine) as session:
        session.add(Head(id=1, last_seq=0, last_hash=GENESIS, keyed_from=2))
        session.commit()
        old = append(legacy, session, "old")
        new = append(legacy, session, "new")
        session.commit()
        assert old.hash == plain_hash(legacy.to_link(old))
        assert new.hash == KEY.mac(old.hash, body(new))
        _, problem = legacy.verify(session)
        assert problem is None
        _, problem = chain.verify(session)  # without the legacy rule the old record fails
        assert problem is not None and problem.seq == 1
